## lavaan references for the robust (MLR) invariance sequence in hpmob.sem.invariance.
##
## Writes lavaan_mlr_invariance.json: HolzingerSwineford1939's 3-factor CFA across school,
## configural -> metric -> scalar -> strict, estimator = "MLR"
##   * complete data (missing = "listwise", lavaan's default): per model npar, chisq, df,
##     the Yuan-Bentler (Mplus) scaled chisq and its scaling factor, cfi/rmsea,
##     cfi.robust, tli.robust, rmsea.robust (Brosseau-Liard & Savalei 2014);
##   * the MAR data of make_references_fiml.R under missing = "ml";
## and for each step lavTestLRT(previous, this) with lavaan's default method for MLR
## (Satorra & Bentler 2001 scaled difference).
##
## Run from the repository root:  Rscript tests/reference/make_references_mlr_invariance.R
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})

model <- "
  visual  =~ x1 + x2 + x3
  textual =~ x4 + x5 + x6
  speed   =~ x7 + x8 + x9
"
steps <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
              strict = c("loadings", "intercepts", "residuals"))
keys <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "chisq.scaling.factor", "pvalue.scaled",
          "baseline.chisq", "baseline.chisq.scaling.factor", "cfi", "tli", "rmsea", "cfi.scaled",
          "rmsea.scaled", "cfi.robust", "tli.robust", "rmsea.robust")

sequence <- function(data, missing) {
  fits <- lapply(steps, function(eq) cfa(model, data = data, group = "school", estimator = "MLR",
                                        group.equal = eq, missing = missing))
  fm <- lapply(fits, function(f) as.list(unclass(fitMeasures(f, keys))))
  lrt <- list()
  for (k in 2:length(fits)) {
    t <- lavTestLRT(fits[[k - 1]], fits[[k]])
    lrt[[names(fits)[k]]] <- list(chisq_diff = t[2, "Chisq diff"], df_diff = t[2, "Df diff"],
                                  pvalue = t[2, "Pr(>Chisq)"],
                                  method = regmatches(attr(t, "heading"), regexpr("satorra[.a-z0-9]*", attr(t, "heading"))))
  }
  list(missing = missing, n = lavInspect(fits[[1]], "ntotal"), fit_measures = fm, lrt = lrt)
}

hs <- read.csv("tests/reference/data/HolzingerSwineford1939.csv")
mar <- read.csv("tests/reference/data/HolzingerSwineford1939_mar.csv")
out <- list(
  description = paste("MLR invariance sequence of the HS 3-factor CFA across school; lavTestLRT's",
                      "default (Satorra-Bentler 2001) between consecutive steps."),
  model = model, group = "school", steps = names(steps),
  complete = sequence(hs, "listwise"),
  mar_fiml = sequence(mar, "ml"),
  lavaan = as.character(packageVersion("lavaan")), R = R.version.string
)
write_json(out, "tests/reference/lavaan_mlr_invariance.json", auto_unbox = TRUE, digits = NA, pretty = TRUE,
           na = "null")
