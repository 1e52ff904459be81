#!/usr/bin/env Rscript
## lavTestLRT references for scaled chi-square difference tests (tests/test_sem_difference.py).
##
## Run from the repository root, after make_references.R and make_references_ordinal.R:
##     Rscript tests/reference/make_references_difference.R
## Writes tests/reference/lavaan_difference.json: for each pair of nested models, the
## default lavTestLRT of lavaan 0.6-14 for the estimator (MLR: method
## "satorra.bentler.2001"; WLSMV: "satorra.2000" with the scaled-shifted test).

suppressPackageStartupMessages({ library(jsonlite); library(lavaan) })
out_dir <- file.path("tests", "reference")
if (!dir.exists(out_dir)) stop("Run this script from the repository root.")
hs <- read.csv(file.path(out_dir, "data", "HolzingerSwineford1939.csv"))
ord <- read.csv(file.path(out_dir, "data", "HolzingerSwineford1939_ordinal.csv"))
items <- paste0("x", 1:9)

general <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
restricted <- list(
  equal_loadings = "visual =~ x1 + a*x2 + a*x3\ntextual =~ x4 + b*x5 + b*x6\nspeed =~ x7 + x8 + x9",
  zero_covariance = paste0(general, "\ntextual ~~ 0*speed")
)
one <- function(est, data, ordered = NULL) {
  f1 <- cfa(general, data = data, estimator = est, ordered = ordered)
  lapply(restricted, function(m0) {
    f0 <- cfa(m0, data = data, estimator = est, ordered = ordered)
    lrt <- as.data.frame(lavTestLRT(f1, f0))
    list(restricted = m0, general = general, method = attr(lavTestLRT(f1, f0), "heading"),
         chisq_diff = lrt[["Chisq diff"]][2], df_diff = lrt[["Df diff"]][2],
         pvalue = lrt[["Pr(>Chisq)"]][2])
  })
}
out <- list(MLR = one("MLR", hs), WLSMV = one("WLSMV", ord, items),
            session = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, na = "null", pretty = TRUE),
           file.path(out_dir, "lavaan_difference.json"), useBytes = TRUE)
message("wrote ", file.path(out_dir, "lavaan_difference.json"))
