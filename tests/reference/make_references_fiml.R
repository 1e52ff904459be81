#!/usr/bin/env Rscript
## lavaan references for full-information ML (missing = "ml") in hpmob.sem.
##
## Run from the repository root:
##     Rscript tests/reference/make_references_fiml.R
##
## Writes (under tests/reference/):
##   data/HolzingerSwineford1939_mar.csv  x1..x9, school, with seeded MAR missingness
##   data/PoliticalDemocracy_mar.csv      x1..x3, y1..y8 with seeded MAR missingness
##   lavaan_fiml.json                     fits with missing = "ml" (and MLR + missing)
##
## Missingness is MAR: the probability that a cell is missing depends only on
## variables that are never missing (x1, x4, x7 in HS; x1..x3 in PoliticalDemocracy).
## Every model is fitted to the data as read back from the CSV, so Python and R use
## exactly the same values.

suppressPackageStartupMessages({
  library(jsonlite)
  library(lavaan)
})

out_dir <- file.path("tests", "reference")
data_dir <- file.path(out_dir, "data")
if (!dir.exists(out_dir)) stop("Run this script from the repository root.")

nvec <- function(v) { v <- unclass(v); out <- lapply(seq_along(v), function(i) unname(v[[i]])); names(out) <- names(v); out }
records <- function(df) {
  df <- as.data.frame(unclass(df), stringsAsFactors = FALSE, check.names = FALSE)
  rownames(df) <- NULL
  lapply(seq_len(nrow(df)), function(i) lapply(df, function(col) { v <- col[[i]]; if (is.factor(v)) v <- as.character(v); v }))
}
round_trip <- function(df, name) {
  path <- file.path(data_dir, name)
  write.csv(df, path, row.names = FALSE, na = "")
  back <- read.csv(path)
  stopifnot(isTRUE(all.equal(back, df, check.attributes = FALSE, tolerance = 0)))
  message("wrote ", path)
  back
}

## ------------------------------------------------------------ data ----
set.seed(20261201)
HS <- lavaan::HolzingerSwineford1939[, c("school", paste0("x", 1:9))]
HS$school <- as.character(HS$school)
mar <- function(driver, shift) stats::runif(length(driver)) < stats::plogis(shift + 1.2 * as.numeric(scale(driver)))
for (v in c("x2", "x3")) HS[mar(HS$x1, -2.0), v] <- NA
for (v in c("x5", "x6")) HS[mar(HS$x4, -2.2), v] <- NA
for (v in c("x8", "x9")) HS[mar(-HS$x7, -2.0), v] <- NA
HS <- round_trip(HS, "HolzingerSwineford1939_mar.csv")

PD <- lavaan::PoliticalDemocracy
for (v in c("y2", "y4")) PD[mar(PD$x1, -1.8), v] <- NA
for (v in c("y6", "y8")) PD[mar(-PD$x2, -1.8), v] <- NA
PD[mar(PD$x3, -2.2), "y1"] <- NA
PD <- round_trip(PD, "PoliticalDemocracy_mar.csv")

## ------------------------------------------------------------ fits ----
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
pd_model <- paste(
  "ind60 =~ x1 + x2 + x3", "dem60 =~ y1 + y2 + y3 + y4", "dem65 =~ y5 + y6 + y7 + y8",
  "dem60 ~ ind60", "dem65 ~ ind60 + dem60",
  "y1 ~~ y5", "y2 ~~ y4 + y6", "y3 ~~ y7", "y4 ~~ y8", "y6 ~~ y8", sep = "\n")

entry <- function(fit, call) {
  pe <- lavaan::parameterEstimates(fit, standardized = TRUE)
  h1 <- lavaan::lavInspect(fit, "sampstat")
  list(call = call,
       converged = lavaan::lavInspect(fit, "converged"),
       ntotal = lavaan::lavInspect(fit, "ntotal"),
       nobs = as.list(lavaan::lavInspect(fit, "nobs")),
       npatterns = if (lavaan::lavInspect(fit, "ngroups") == 1) nrow(lavaan::lavInspect(fit, "patterns"))
                   else lapply(lavaan::lavInspect(fit, "patterns"), nrow),
       information = lavaan::lavInspect(fit, "options")$information,
       fitMeasures = nvec(lavaan::fitMeasures(fit)),
       parameterEstimates = records(pe))
}

fits <- list()
f <- lavaan::cfa(hs_model, data = HS, missing = "ml")
fits$hs <- entry(f, 'cfa(model, data = HS, missing = "ml")')
fits$hs$h1 <- list(cov = unname(lapply(seq_len(9), function(i) unname(lavaan::lavInspect(f, "sampstat")$cov[i, ]))),
                   mean = unname(as.numeric(lavaan::lavInspect(f, "sampstat")$mean)))
f <- lavaan::cfa(hs_model, data = HS, missing = "ml", estimator = "MLR")
fits$hs_mlr <- entry(f, 'cfa(model, data = HS, missing = "ml", estimator = "MLR")')
for (lev in list(list("configural", ""), list("metric", "loadings"),
                 list("scalar", c("loadings", "intercepts")))) {
  f <- lavaan::cfa(hs_model, data = HS, group = "school", group.equal = lev[[2]], missing = "ml")
  fits[[paste0("hs_", lev[[1]])]] <- entry(f, sprintf('cfa(model, data = HS, group = "school", group.equal = %s, missing = "ml")',
                                                      deparse(lev[[2]])))
}
f <- lavaan::cfa(hs_model, data = HS, group = "school", group.equal = c("loadings", "intercepts"), missing = "ml",
                 estimator = "MLR")
fits$hs_scalar_mlr <- entry(f, 'cfa(model, data = HS, group = "school", group.equal = c("loadings", "intercepts"), missing = "ml", estimator = "MLR")')
f <- lavaan::sem(pd_model, data = PD, missing = "ml")
fits$poldem <- entry(f, 'sem(model, data = PD, missing = "ml")')

txt <- jsonlite::toJSON(list(lavaan_version = as.character(packageVersion("lavaan")),
                             R_version = R.version.string,
                             hs_model = hs_model, pd_model = pd_model, fits = fits),
                        auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE)
writeLines(txt, file.path(out_dir, "lavaan_fiml.json"), useBytes = TRUE)
message("wrote ", file.path(out_dir, "lavaan_fiml.json"))
