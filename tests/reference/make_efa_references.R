#!/usr/bin/env Rscript
## R reference values for hpmob.efa and hpmob.validity on
## HolzingerSwineford1939 (x1..x9): psych KMO, Bartlett's test, parallel
## analysis, EFA loadings, and semTools::htmt in all its variants. Plus, on
## the survey export data/hpmob_analysed.csv: KMO and Bartlett with missing
## answers (psych's pairwise default) and the arithmetic HTMT (htmt2 = FALSE).
##
## Run from the repository root, after make_references.R and
## export_hpmob_data.py have written the CSVs:
##     Rscript tests/reference/make_efa_references.R
## Writes tests/reference/efa_hs.json. Same JSON conventions as
## make_references.R (15 significant digits, NA -> null, matrices as
## {rownames, colnames, values}). The output is byte-identical between runs.

suppressPackageStartupMessages({
  library(jsonlite)
  library(lavaan)
  library(semTools)
  library(psych)
  library(GPArotation)
})

out_dir <- file.path("tests", "reference")
hs_file <- file.path(out_dir, "data", "HolzingerSwineford1939.csv")
if (!file.exists(hs_file)) stop("Run from the repository root after make_references.R.")

mat <- function(m) {
  m <- unclass(m); m <- as.matrix(m); storage.mode(m) <- "double"
  list(rownames = rownames(m), colnames = colnames(m),
       values = lapply(seq_len(nrow(m)), function(i) unname(m[i, ])))
}
nvec <- function(v) { v <- unclass(v); out <- as.list(unname(v)); names(out) <- names(v); out }

HS <- utils::read.csv(hs_file, check.names = FALSE)
x <- HS[, paste0("x", 1:9)]
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"

kmo <- psych::KMO(x)
bart <- psych::cortest.bartlett(stats::cor(x), n = nrow(x))

## Parallel analysis. Only the observed eigenvalues and the suggested numbers
## are comparable across software (the simulated ones depend on the RNG).
r <- stats::cor(x)
r_smc <- r; diag(r_smc) <- psych::smc(r)
set.seed(20250902)
pa_default <- psych::fa.parallel(x, fa = "both", n.iter = 100, plot = FALSE)
set.seed(20250902)
pa_smc <- psych::fa.parallel(x, fa = "both", n.iter = 100, SMC = TRUE, plot = FALSE)

fa_block <- function(fm) {
  f <- psych::fa(x, nfactors = 3, fm = fm, rotate = "oblimin")
  list(call = sprintf("psych::fa(x, nfactors = 3, fm = \"%s\", rotate = \"oblimin\")", fm),
       loadings = mat(unclass(f$loadings)), Phi = mat(f$Phi),
       communality = nvec(f$communality), uniquenesses = nvec(f$uniquenesses),
       unrotated_objective = f$objective)
}

ht <- function(...) mat(unclass(semTools::htmt(model, data = HS, ...)))

## Survey items with missing answers (all rows of the file).
hp_file <- file.path(out_dir, "data", "hpmob_analysed.csv")
hp <- utils::read.csv(hp_file, check.names = FALSE, na.strings = "")
items_of <- list(
  AW = paste0("AW", 1:5), RT = paste0("RT", 1:4), PM = paste0("PM", 1:5),
  IM = paste0("IM", 1:5), DT = paste0("DT", 1:4), SE = paste0("SE", 1:4),
  CO = paste0("CO", 1:4))
items31 <- unname(unlist(items_of))
model7 <- paste(vapply(names(items_of), function(f)
  paste0(f, " =~ ", paste(items_of[[f]], collapse = " + ")), character(1)), collapse = "\n")
x31 <- hp[, items31]
kmo_hp <- psych::KMO(x31)
bart_hp <- suppressMessages(psych::cortest.bartlett(x31))

txt <- jsonlite::toJSON(list(
  description = paste(
    "HolzingerSwineford1939 x1..x9 (301 rows): psych KMO, cortest.bartlett,",
    "fa.parallel (observed eigenvalues and suggested numbers), fa() with",
    "oblimin rotation, and semTools::htmt with each combination of htmt2 and absolute."),
  data_file = "data/HolzingerSwineford1939.csv",
  KMO = list(call = "psych::KMO(x)", MSA = kmo$MSA, MSAi = nvec(kmo$MSAi)),
  cortest.bartlett = list(call = "psych::cortest.bartlett(cor(x), n = nrow(x))",
                          chisq = bart$chisq, df = bart$df, p.value = bart$p.value,
                          n = nrow(x)),
  parallel = list(
    note = paste(
      "pc_values = eigen(cor(x)); smc_values = eigen of cor(x) with SMCs on the",
      "diagonal (fa.parallel(SMC = TRUE)); fa_values_minres1 = fa.parallel's",
      "default factor eigenvalues (reduced matrix of a 1-factor minres fit).",
      "nfact/ncomp come from 100 simulated normal data sets, set.seed(20250902)."),
    pc_values = pa_default$pc.values,
    smc_values = eigen(r_smc)$values,
    fa_values_minres1 = pa_default$fa.values,
    default = list(nfact = pa_default$nfact, ncomp = pa_default$ncomp),
    SMC_TRUE = list(nfact = pa_smc$nfact, ncomp = pa_smc$ncomp)),
  fa_minres = fa_block("minres"),
  fa_ml = fa_block("ml"),
  htmt = list(
    model = model,
    htmt2_TRUE = ht(),
    htmt2_FALSE = ht(htmt2 = FALSE),
    htmt2_FALSE_absolute_FALSE = ht(htmt2 = FALSE, absolute = FALSE)),
  hpmob = list(
    data_file = "data/hpmob_analysed.csv",
    data_md5 = unname(tools::md5sum(hp_file)),
    n_rows = nrow(x31),
    n_rows_any_item = sum(rowSums(!is.na(x31)) > 0),
    n_complete = sum(stats::complete.cases(x31)),
    KMO_pairwise = list(call = "psych::KMO(x31)  # all rows, cor(use = 'pairwise')",
                        MSA = kmo_hp$MSA, MSAi = nvec(kmo_hp$MSAi)),
    cortest.bartlett_pairwise = list(
      call = "psych::cortest.bartlett(x31)  # R = cor(x31, use = 'pairwise'), n = nrow(x31)",
      chisq = bart_hp$chisq, df = bart_hp$df, p.value = bart_hp$p.value),
    htmt2_FALSE = list(
      call = "semTools::htmt(model7, data = x31[complete.cases(x31), ], htmt2 = FALSE)",
      model = model7,
      matrix = mat(unclass(semTools::htmt(model7, data = x31[stats::complete.cases(x31), ],
                                          htmt2 = FALSE))))),
  session = list(R.version.string = R.version.string,
                 psych = as.character(utils::packageVersion("psych")),
                 semTools = as.character(utils::packageVersion("semTools")),
                 GPArotation = as.character(utils::packageVersion("GPArotation")))
), auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE)
writeLines(txt, file.path(out_dir, "efa_hs.json"), useBytes = TRUE)
message("wrote ", file.path(out_dir, "efa_hs.json"))
