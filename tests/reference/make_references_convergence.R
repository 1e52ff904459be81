#!/usr/bin/env Rscript
## lavaan references for hpmob.sem's convergence tests (tests/test_sem_convergence.py).
##
## Run from the repository root, after the data are written:
##     python tests/reference/simulate_convergence_data.py
##     Rscript tests/reference/make_references_convergence.R
## Writes tests/reference/lavaan_convergence.json.

suppressPackageStartupMessages({
  library(jsonlite)
  library(lavaan)
})
out_dir <- file.path("tests", "reference")
if (!dir.exists(out_dir)) stop("Run this script from the repository root.")
nvec <- function(v) { v <- unclass(v); out <- lapply(seq_along(v), function(i) unname(v[[i]])); names(out) <- names(v); out }
records <- function(df) {
  df <- as.data.frame(unclass(df), stringsAsFactors = FALSE, check.names = FALSE)
  rownames(df) <- NULL
  lapply(seq_len(nrow(df)), function(i) lapply(df, function(col) { v <- col[[i]]; if (is.factor(v)) v <- as.character(v); v }))
}
## fit and keep lavaan's warnings (a non-zero gradient is only a warning in lavaan)
run <- function(expr) {
  warns <- character(0)
  f <- withCallingHandlers(expr, warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  list(fit = f, warnings = warns)
}
entry <- function(r, call) {
  f <- r$fit
  list(call = call, converged = lavaan::lavInspect(f, "converged"), warnings = r$warnings,
       fitMeasures = nvec(lavaan::fitMeasures(f)),
       parameterEstimates = records(lavaan::parameterEstimates(f, standardized = TRUE)))
}

five <- read.csv(file.path(out_dir, "data", "five_factor_negative_markers.csv"))
five_model <- paste(sapply(c("A", "B", "C", "D", "E"), function(c) paste0(c, " =~ ", paste0(c, 1:5, collapse = " + "))),
                    collapse = "\n")
fits <- list()
fits$single <- entry(run(lavaan::cfa(five_model, data = five[, -1])), "cfa(model, data = five[, -1])")
levels <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
               strict = c("loadings", "intercepts", "residuals"))
for (lev in names(levels)) {
  fits[[lev]] <- entry(run(lavaan::cfa(five_model, data = five, group = "gender", group.equal = levels[[lev]])),
                       sprintf('cfa(model, data = five, group = "gender", group.equal = %s)', deparse(levels[[lev]])))
}
tiny <- read.csv(file.path(out_dir, "data", "HolzingerSwineford1939_tiny_group.csv"))
hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
r <- run(lavaan::cfa(hs_model, data = tiny, group = "school"))
tiny_entry <- list(call = 'cfa(model, data = tiny, group = "school")', converged = lavaan::lavInspect(r$fit, "converged"),
                   warnings = r$warnings)

txt <- jsonlite::toJSON(list(lavaan_version = as.character(packageVersion("lavaan")), R_version = R.version.string,
                             five_model = five_model, five = fits, hs_model = hs_model, tiny = tiny_entry),
                        auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE)
writeLines(txt, file.path(out_dir, "lavaan_convergence.json"), useBytes = TRUE)
message("wrote ", file.path(out_dir, "lavaan_convergence.json"))
