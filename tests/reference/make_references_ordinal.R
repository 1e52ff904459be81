#!/usr/bin/env Rscript
## lavaan references for ordinal (WLSMV) fits, used by tests/test_sem_ordinal.py.
##
## Run from the repository root:
##     Rscript tests/reference/make_references_ordinal.R
##
## Writes (under tests/reference/):
##   data/HolzingerSwineford1939_ordinal.csv  x1..x9 cut into 3 to 5 ordered categories
##   lavaan_hs_ordinal.json                   WLSMV fits on that file
##
## The cuts are fixed sample quantiles (type 7) of each item, so the file is deterministic;
## every fit below reads the CSV back, so Python and R use the same integers.

suppressPackageStartupMessages({
  library(jsonlite)
  library(lavaan)
})

out_dir <- file.path("tests", "reference")
if (!dir.exists(out_dir)) stop("Run this script from the repository root.")
data_dir <- file.path(out_dir, "data")

write_json_file <- function(x, name) {
  path <- file.path(out_dir, name)
  writeLines(toJSON(x, auto_unbox = TRUE, digits = NA, na = "null", null = "null",
                    pretty = TRUE), path, useBytes = TRUE)
  message("wrote ", path)
}
mat <- function(m) {
  m <- as.matrix(unclass(m)); storage.mode(m) <- "double"
  list(rownames = rownames(m), colnames = colnames(m),
       values = lapply(seq_len(nrow(m)), function(i) unname(m[i, ])))
}
nvec <- function(v) { v <- unclass(v); out <- as.list(unname(v)); names(out) <- names(v); out }

## ------------------------------------------------------------ the data ----
hs <- read.csv(file.path(data_dir, "HolzingerSwineford1939.csv"))
## cumulative probabilities of the cut points: 3, 4 and 5 categories, some sparse
probs <- list(x1 = c(.10, .30, .60, .85), x2 = c(.25, .70), x3 = c(.20, .50, .80),
              x4 = c(.05, .20, .50, .80), x5 = c(.15, .35, .55, .90), x6 = c(.40, .80),
              x7 = c(.30, .60, .90), x8 = c(.10, .25, .50, .75), x9 = c(.20, .40, .60, .80))
ord <- data.frame(id = hs$id, school = hs$school)
for (v in names(probs)) {
  br <- c(-Inf, unname(quantile(hs[[v]], probs[[v]], type = 7)), Inf)
  ord[[v]] <- as.integer(cut(hs[[v]], br, right = TRUE, labels = FALSE))
}
csv <- file.path(data_dir, "HolzingerSwineford1939_ordinal.csv")
write.csv(ord, csv, row.names = FALSE)
back <- read.csv(csv)
stopifnot(identical(back, ord))
items <- names(probs)

## ------------------------------------------------------------ the fits ----
models <- list(
  cfa = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9",
  sem = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\nspeed ~ visual + textual\nx3 ~~ x9"
)
one_fit <- function(model) {
  f <- sem(model, data = back, ordered = items, estimator = "WLSMV")
  pe <- parameterEstimates(f, standardized = TRUE)
  list(
    model = model,
    converged = lavInspect(f, "converged"),
    nobs = lavInspect(f, "nobs"),
    estimates = pe[, c("lhs", "op", "rhs", "est", "se", "std.lv", "std.all")],
    fit_measures = nvec(fitMeasures(f)),
    sample_th = nvec(lavInspect(f, "sampstat")$th),
    polychoric = mat(lavInspect(f, "sampstat")$cov),
    nacov = mat(lavInspect(f, "gamma")),
    wls_obs = nvec(lavInspect(f, "wls.obs")),
    vcov = mat(lavInspect(f, "vcov"))
  )
}
out <- lapply(models, one_fit)
out$session <- list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")))
write_json_file(out, "lavaan_hs_ordinal.json")

## ----------------------------------------- ordinal invariance by school ----
## Wu & Estabrook (2016) identification and sequence from semTools::measEq.syntax
## (delta parameterization, std.lv factors), each step fitted by lavaan WLSMV.
suppressPackageStartupMessages(library(semTools))
steps <- list(configural = character(0), thresholds = "thresholds",
              metric = c("thresholds", "loadings"),
              scalar = c("thresholds", "loadings", "intercepts"))
partial <- list(scalar_x3 = list(equal = steps$scalar, partial = "x3~1"))
mg_fit <- function(equal, part = NULL) {
  syn <- measEq.syntax(models$cfa, data = back, ordered = items, parameterization = "delta",
                       ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = "school",
                       group.equal = equal, group.partial = part)
  cfa(as.character(syn), data = back, ordered = items, group = "school",
      estimator = "WLSMV", parameterization = "delta")
}
mg_block <- function(f) {
  pe <- parameterEstimates(f, standardized = TRUE)
  list(converged = lavInspect(f, "converged"),
       estimates = pe[, c("group", "lhs", "op", "rhs", "est", "se", "std.all")],
       fit_measures = nvec(fitMeasures(f)))
}
mg <- lapply(steps, mg_fit)
inv <- lapply(mg, mg_block)
lrt <- list()
for (k in 2:length(mg)) {
  t <- as.data.frame(lavTestLRT(mg[[k - 1]], mg[[k]]))
  lrt[[names(mg)[k]]] <- list(chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2],
                              pvalue = t[["Pr(>Chisq)"]][2])
}
p_fit <- mg_fit(partial$scalar_x3$equal, partial$scalar_x3$partial)
t <- as.data.frame(lavTestLRT(mg$metric, p_fit))
invariance_out <- list(
  group = "school", group_labels = lavInspect(mg$configural, "group.label"),
  model = models$cfa, steps = inv, lrt = lrt,
  partial = list(scalar_x3 = c(mg_block(p_fit), list(partial = "x3~1",
    lrt_vs_metric = list(chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2],
                         pvalue = t[["Pr(>Chisq)"]][2])))),
  session = out$session)
write_json_file(invariance_out, "lavaan_hs_ordinal_invariance.json")
