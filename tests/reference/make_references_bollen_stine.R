#!/usr/bin/env Rscript
## References for hpmob.sem.bollen_stine: data transformed so that a fitted model holds exactly.
##
## Run from the repository root:
##     Rscript tests/reference/make_references_bollen_stine.R
##
## Reads the committed data (never rewrites them):
##   data/HolzingerSwineford1939.csv, data/PoliticalDemocracy.csv          complete data
##   data/HolzingerSwineford1939_mar.csv, data/PoliticalDemocracy_mar.csv  MAR missingness
## Writes:
##   bollen_stine.json
##
## Complete data: lavaan's own Bollen-Stine transformation, i.e. the data inside
## bootstrapLavaan(type = "bollen.stine") (lav_bootstrap_internal: X S^-1/2 Sigma^1/2 with
## symmetric square roots, plus the model-implied mean). lavaan does not export the
## transformed data, so they are read off its bootstrap samples: a trace() on
## lav_data_update records each sample and the rows it drew; 40 draws cover every row, and
## every row must come out identical in every draw that holds it (checked).
##
## Incomplete data: semTools::bsBootMiss(fit, transDataOnly = TRUE) with its default
## transformation = 2 (Savalei & Yuan 2009): one symmetric matrix A for all missing-data
## patterns, found by Newton's method, each pattern centred at its own means. bsBootMiss
## returns the rows grouped by pattern (patterns in order of first appearance); the
## original row numbers are recovered here with the same pattern code.
##
## lavaan's nlminb stops about 1e-6 from the optimum by default (and a tighter rel.tol ends
## in "false convergence"). Each model is therefore refined from lavaan's default fit by
## BFGS with a tiny relative tolerance (optim.method = "BFGS", start = the default fit),
## so that the implied moments the transformation uses are those of the optimum to about
## 1e-7; they are written out too, so the Python test can also check the transformation
## alone, at lavaan's moments.

suppressPackageStartupMessages({
  library(jsonlite)
  library(lavaan)
  library(semTools)
})

out_dir <- file.path("tests", "reference")
data_dir <- file.path(out_dir, "data")
if (!dir.exists(out_dir)) stop("Run this script from the repository root.")

tight <- list(reltol = 1e-20, maxit = 100000L)
tight_fit <- function(FUN, ...) {
  start <- FUN(...)
  fit <- FUN(..., start = start, optim.method = "BFGS", control = tight)
  stopifnot(lavInspect(fit, "converged"))
  fit
}

mat <- function(m, rownames = NULL) {
  m <- as.matrix(m)
  list(rownames = if (is.null(rownames)) rownames(m) else rownames, colnames = colnames(m),
       values = unname(lapply(seq_len(nrow(m)), function(i) unname(as.numeric(m[i, ])))))
}
moments <- function(fit) {
  list(sigma = mat(lavInspect(fit, "cov.ov")),
       mu = as.list(lavInspect(fit, "mean.ov")),
       sampstat_cov = mat(lavInspect(fit, "sampstat")$cov),
       chisq = unname(fitMeasures(fit, "chisq")),
       converged = lavInspect(fit, "converged"))
}

## ------------------------------------------------- complete data: lavaan ----
bollen_stine_lavaan <- function(fit, R = 40L) {
  N <- lavInspect(fit, "nobs")
  ov <- lavNames(fit)
  ## lav_bootstrap_internal hands each bootstrap sample of its transformed data to
  ## lav_data_update(newX = , BOOT.idx = ); record both (the refit inside sees only the
  ## original data slot, so FUN cannot return the sample)
  draws <- new.env()
  draws$X <- list()
  draws$idx <- list()
  push <- function(X, idx) {
    draws$X[[length(draws$X) + 1L]] <- X
    draws$idx[[length(draws$idx) + 1L]] <- idx
  }
  trace(lav_data_update, where = asNamespace("lavaan"), print = FALSE,
        tracer = bquote(.(push)(newX[[1]], BOOT.idx[[1]])))
  on.exit(untrace(lav_data_update, where = asNamespace("lavaan")))
  set.seed(1)
  bs <- bootstrapLavaan(fit, R = R, type = "bollen.stine")
  stopifnot(length(draws$X) == R)
  out <- matrix(NA_real_, N, length(ov), dimnames = list(NULL, ov))
  for (r in seq_len(R)) {
    Xr <- draws$X[[r]]
    for (i in seq_len(N)) {
      row <- draws$idx[[r]][i]
      if (is.na(out[row, 1])) out[row, ] <- Xr[i, ]
      else stopifnot(max(abs(out[row, ] - Xr[i, ])) == 0)
    }
  }
  stopifnot(!anyNA(out))
  ## the same numbers from lavaan's formula with its own functions (a check, not the reference)
  X <- scale(lavInspect(fit, "data"), center = TRUE, scale = FALSE)
  S <- lavInspect(fit, "sampstat")$cov
  Z <- X %*% lav_matrix_symmetric_sqrt(solve(S)) %*% lav_matrix_symmetric_sqrt(lavInspect(fit, "cov.ov"))
  Z <- sweep(Z, 2, lavInspect(fit, "mean.ov"), "+")
  stopifnot(max(abs(Z - out)) < 1e-10)
  rows <- lavInspect(fit, "case.idx")
  c(moments(fit), list(n_boot_draws = R, transformed = mat(out, rownames = as.character(rows))))
}

## --------------------------------------------- incomplete data: semTools ----
savalei_yuan_semtools <- function(fit) {
  td <- bsBootMiss(fit, transDataOnly = TRUE)  # transformation = 2 (the default)
  ov <- lavNames(fit)
  dat <- as.data.frame(lavInspect(fit, "data"))
  rows <- lavInspect(fit, "case.idx")
  keep <- !apply(dat, 1, function(x) all(is.na(x)))  # bsBootMiss drops empty rows too
  dat <- dat[keep, , drop = FALSE]
  rows <- rows[keep]
  ## bsBootMiss's own pattern code and order (trans2)
  rowMissPatt <- apply(ifelse(is.na(dat), 1, 0), 1, function(x) paste(x, collapse = ""))
  ord <- unlist(lapply(unique(rowMissPatt), function(p) which(rowMissPatt == p)))
  Y <- as.matrix(td[, ov])
  stopifnot(all(is.na(Y) == is.na(as.matrix(dat[ord, ]))))
  out <- matrix(NA_real_, nrow(dat), length(ov), dimnames = list(NULL, ov))
  out[ord, ] <- Y
  c(moments(fit), list(n_patterns = length(unique(rowMissPatt)),
                       transformed = mat(out, rownames = as.character(rows))))
}

hs_model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
## the Bollen (1989) model with the claimed path dem65 ~ ind60 fixed at 0 (the null model)
pd_null <- paste(
  "ind60 =~ x1 + x2 + x3", "dem60 =~ y1 + y2 + y3 + y4", "dem65 =~ y5 + y6 + y7 + y8",
  "dem60 ~ ind60", "dem65 ~ 0*ind60 + dem60",
  "y1 ~~ y5", "y2 ~~ y4 + y6", "y3 ~~ y7", "y4 ~~ y8", "y6 ~~ y8", sep = "\n")

HS <- read.csv(file.path(data_dir, "HolzingerSwineford1939.csv"))
PD <- read.csv(file.path(data_dir, "PoliticalDemocracy.csv"))
HSm <- read.csv(file.path(data_dir, "HolzingerSwineford1939_mar.csv"))
PDm <- read.csv(file.path(data_dir, "PoliticalDemocracy_mar.csv"))

cases <- list()
cases$hs_complete <- c(list(call = 'bootstrapLavaan(cfa(hs_model, HS, meanstructure = TRUE), type = "bollen.stine")',
                            model = hs_model, data = "HolzingerSwineford1939.csv"),
                       bollen_stine_lavaan(tight_fit(cfa, hs_model, data = HS, meanstructure = TRUE)))
cases$pd_null_complete <- c(list(call = 'bootstrapLavaan(sem(pd_null, PD, meanstructure = TRUE), type = "bollen.stine")',
                                 model = pd_null, data = "PoliticalDemocracy.csv"),
                            bollen_stine_lavaan(tight_fit(sem, pd_null, data = PD, meanstructure = TRUE)))
cases$hs_mar <- c(list(call = 'bsBootMiss(cfa(hs_model, HSm, missing = "ml"), transDataOnly = TRUE)',
                       model = hs_model, data = "HolzingerSwineford1939_mar.csv"),
                  savalei_yuan_semtools(tight_fit(cfa, hs_model, data = HSm, missing = "ml")))
cases$pd_null_mar <- c(list(call = 'bsBootMiss(sem(pd_null, PDm, missing = "ml"), transDataOnly = TRUE)',
                            model = pd_null, data = "PoliticalDemocracy_mar.csv"),
                       savalei_yuan_semtools(tight_fit(sem, pd_null, data = PDm, missing = "ml")))

txt <- jsonlite::toJSON(list(lavaan_version = as.character(packageVersion("lavaan")),
                             semTools_version = as.character(packageVersion("semTools")),
                             R_version = R.version.string, control = tight, cases = cases),
                        auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE)
writeLines(txt, file.path(out_dir, "bollen_stine.json"), useBytes = TRUE)
message("wrote ", file.path(out_dir, "bollen_stine.json"))
