#!/usr/bin/env Rscript
## R reference values for the hpmob survey models (7-factor CFA, measurement
## invariance by governance level, the structural model) and for a bootstrap
## of the PoliticalDemocracy indirect effect.
##
## Run from the repository root, after the data export:
##     .venv/bin/python tests/reference/export_hpmob_data.py
##     Rscript tests/reference/make_references_hpmob.R
##
## Reads  (under tests/reference/):
##   data/hpmob_analysed.csv     written by export_hpmob_data.py (cleaned,
##                               reverse-keyed items; rows with a level)
##   data/PoliticalDemocracy.csv written by make_references.R
## Writes (under tests/reference/):
##   hpmob_cfa.json, hpmob_invariance.json, hpmob_sem.json, hpmob_timing.json
##   data/hpmob_poldem_boot_idx.csv, data/hpmob_poldem_boot_draws.csv
##                               (PoliticalDemocracy bootstrap resamples and draws)
##
## Conventions are those of make_references.R (see README.md):
## * numbers have 15 significant digits (jsonlite digits = NA), and NA / NaN / Inf
##   are written as null
## * keys are as R names them
## * data frames become lists of records, matrices become {rownames, colnames,
##   values}, and named vectors become objects
## Every hpmob model is fitted to the rows of hpmob_analysed.csv that are
## complete on all 31 items (listwise deletion). These are the same rows for
## every model, and lavaan's own missing = "listwise" then drops nothing more.
## The JSON files are byte-identical between runs, except hpmob_timing.json,
## which holds wall times.

suppressPackageStartupMessages({
  library(jsonlite)
  library(lavaan)
  library(semTools)
  library(psych)
})

## ---------------------------------------------------------------- paths ----
out_dir <- file.path("tests", "reference")
data_dir <- file.path(out_dir, "data")
hp_file <- file.path(data_dir, "hpmob_analysed.csv")
if (!dir.exists(out_dir)) {
  stop("Run this script from the repository root (tests/reference not found).")
}
if (!file.exists(hp_file)) {
  stop(hp_file, " not found: run '.venv/bin/python tests/reference/export_hpmob_data.py' first.")
}

## -------------------------------------------------------------- helpers ----
## (the same as in make_references.R)
write_json_file <- function(x, name) {
  path <- file.path(out_dir, name)
  txt <- jsonlite::toJSON(x, auto_unbox = TRUE, digits = NA, na = "null",
                          null = "null", pretty = TRUE)
  writeLines(txt, path, useBytes = TRUE)
  message("wrote ", path)
  invisible(path)
}

mat <- function(m) {
  m <- unclass(m)
  m <- as.matrix(m)
  storage.mode(m) <- "double"
  list(rownames = if (is.null(rownames(m))) NULL else rownames(m),
       colnames = if (is.null(colnames(m))) NULL else colnames(m),
       values = lapply(seq_len(nrow(m)), function(i) unname(m[i, ])))
}

nvec <- function(v) {
  v <- unclass(v)
  nm <- names(v)
  out <- lapply(seq_along(v), function(i) unname(v[[i]]))
  names(out) <- nm
  out
}

records <- function(df, rowname_col = NULL) {
  rn <- rownames(df)
  df <- as.data.frame(unclass(df), stringsAsFactors = FALSE,
                      check.names = FALSE)
  if (!is.null(rowname_col)) {
    df <- cbind(stats::setNames(data.frame(rn,
                                           stringsAsFactors = FALSE),
                                rowname_col),
                df)
  }
  rownames(df) <- NULL
  lapply(seq_len(nrow(df)), function(i) {
    r <- lapply(df, function(col) {
      v <- col[[i]]
      if (is.factor(v)) v <- as.character(v)
      v
    })
    names(r) <- names(df)
    r
  })
}

capture <- function(expr) {
  warns <- character(0)
  msgs <- character(0)
  val <- withCallingHandlers(
    tryCatch(expr, error = function(e) structure(list(message = conditionMessage(e)),
                                                  class = "captured_error")),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    },
    message = function(m) {
      msgs <<- c(msgs, trimws(conditionMessage(m)))
      invokeRestart("muffleMessage")
    })
  list(value = val, warnings = I(unique(warns)), messages = I(unique(msgs)),
       error = if (inherits(val, "captured_error")) val$message else NULL)
}

## Fit with capture(). Stop on an error, and keep the warnings.
fit_cap <- function(expr) {
  cap <- capture(expr)
  if (!is.null(cap$error)) stop(cap$error)
  cap
}

session_block <- function() {
  list(R.version.string = R.version.string,
       lavaan = as.character(utils::packageVersion("lavaan")),
       semTools = as.character(utils::packageVersion("semTools")),
       psych = as.character(utils::packageVersion("psych")))
}

opts_block <- function(fit) {
  o <- lavaan::lavInspect(fit, "options")
  list(estimator = o$estimator, se = o$se, test = o$test,
       likelihood = o$likelihood, information = o$information,
       missing = o$missing,
       meanstructure = lavaan::lavInspect(fit, "meanstructure"))
}

mi_top <- function(fit, n = 10, cols = c("lhs", "op", "rhs", "mi", "epc", "sepc.all")) {
  mi <- capture(lavaan::modindices(fit, sort. = TRUE))
  if (!is.null(mi$error)) return(list(error = mi$error))
  keep <- intersect(c(cols, "group", "block"), names(mi$value))
  keep <- c(intersect(cols[1:3], keep), setdiff(keep, cols[1:3]))
  records(utils::head(mi$value[, keep, drop = FALSE], n))
}

## ------------------------------------------------------------------ data ----
## Read the CSV, then check that R reads it exactly. Writing the data frame
## back in the exporter's format must reproduce the file's lines.
items_of <- list(
  AW = paste0("AW", 1:5), RT = paste0("RT", 1:4), PM = paste0("PM", 1:5),
  IM = paste0("IM", 1:5), DT = paste0("DT", 1:4), SE = paste0("SE", 1:4),
  CO = paste0("CO", 1:4)
)
items31 <- unname(unlist(items_of))
attr_cols <- c("resp_id", "level", "area", "training_courses", "theory_level")

raw <- utils::read.csv(hp_file, stringsAsFactors = FALSE, na.strings = "",
                       check.names = FALSE, colClasses = c(
                         resp_id = "character", level = "character",
                         area = "character", theory_level = "character"))
stopifnot(identical(names(raw), c(attr_cols, items31)))
for (v in c("training_courses", items31)) stopifnot(is.integer(raw[[v]]))
stopifnot(all(is.na(unlist(raw[items31])) | unlist(raw[items31]) %in% 1:5),
          !anyNA(raw$level), all(raw$level %in% c("city", "district", "commune")),
          !anyDuplicated(raw$resp_id))
local({
  cells <- lapply(raw, function(x) ifelse(is.na(x), "", as.character(x)))
  lines_back <- c(paste(names(raw), collapse = ","), do.call(paste, c(cells, sep = ",")))
  lines_file <- readLines(hp_file, encoding = "UTF-8", warn = FALSE)
  stopifnot(identical(lines_back, lines_file))
})
message("read ", hp_file, " (", nrow(raw), " rows; round trip exact)")

complete31 <- stats::complete.cases(raw[, items31])
dat <- raw[complete31, , drop = FALSE]
rownames(dat) <- NULL
stopifnot(!anyNA(dat$training_courses))
## training_z as in the population model (z_mean 2.5, z_sd 1.7)
dat$training_z <- (dat$training_courses - 2.5) / 1.7

data_block <- list(
  data_file = "data/hpmob_analysed.csv",
  n_rows_file = nrow(raw),
  n_complete_31_items = nrow(dat),
  rows_used = paste(
    "rows of data/hpmob_analysed.csv complete on all 31 items",
    "(AW1..CO4): listwise deletion, as lavaan's default missing = 'listwise'",
    "does; every model in this file is fitted to these same rows, so lavaan",
    "drops nothing further (nobs = n_complete_31_items)"),
  n_by_level = as.list(table(factor(dat$level, levels = c("city", "district", "commune")))),
  missing_item_cells_in_file = sum(is.na(raw[, items31]))
)

## ---------------------------------------------------------------- models ----
lv_lines <- function(names) {
  paste(vapply(names, function(f) paste0(f, " =~ ", paste(items_of[[f]], collapse = " + ")),
               character(1)), collapse = "\n")
}
model7 <- paste0(lv_lines(c("AW", "RT", "PM", "IM", "DT", "SE", "CO")), "\n")
model_small <- paste0(lv_lines(c("PM", "AW", "IM")), "\n")
model_sem <- paste0(
  lv_lines(c("AW", "PM", "IM", "DT", "SE", "CO")), "\n",
  "PM ~ a*AW + h5*training_z\n",
  "IM ~ b*PM + c*AW + DT + SE + CO\n",
  "ind := a*b\n",
  "ind_train := h5*b\n",
  "total := c + a*b\n")

## ================================================================= CFA ====
rel_block <- function(fit) {
  cr_def <- capture(semTools::compRelSEM(fit))
  cr_f <- capture(semTools::compRelSEM(fit, obs.var = FALSE))
  ave <- capture(semTools::AVE(fit))
  list(
    compRelSEM = nvec(cr_def$value),
    compRelSEM_obs.var_FALSE = nvec(cr_f$value),
    AVE = if (is.null(ave$error)) nvec(ave$value) else list(error = ave$error),
    warnings = I(unique(c(cr_def$warnings, cr_f$warnings, ave$warnings))),
    note = paste(
      "compRelSEM default: obs.var = TRUE, where the denominator is the",
      "observed total-score variance (the sum of the ML N-divisor sample",
      "covariances of the factor's items). obs.var = FALSE uses the",
      "model-implied variance ((sum lambda)^2 + sum theta). AVE = mean",
      "squared standardized loading.")
  )
}

cfa_block <- function(estimator) {
  cap <- fit_cap(lavaan::cfa(model7, data = dat, estimator = estimator))
  fit <- cap$value
  ss <- lavaan::lavInspect(fit, "sampstat")
  im <- lavaan::lavInspect(fit, "implied")
  list(
    call = sprintf("cfa(model, data = dat, estimator = \"%s\")", estimator),
    converged = lavaan::lavInspect(fit, "converged"),
    nobs = lavaan::lavInspect(fit, "nobs"),
    options = opts_block(fit),
    fitMeasures = nvec(lavaan::fitMeasures(fit)),
    parameterEstimates = records(lavaan::parameterEstimates(fit, standardized = TRUE)),
    sampstat = list(cov = mat(ss$cov)),
    implied = list(cov = mat(im$cov)),
    modindices_top10 = mi_top(fit),
    semTools = rel_block(fit),
    warnings = cap$warnings
  )
}

message("CFA ML / MLR ...")
cfa_ml <- cfa_block("ML")
cfa_mlr <- cfa_block("MLR")

htmt_cap <- capture(semTools::htmt(model7, data = dat))

x31 <- dat[, items31]
kmo_cap <- capture(psych::KMO(x31))
bart_cap <- capture(psych::cortest.bartlett(stats::cor(x31), n = nrow(x31)))

message("CFA WLSMV (ordered) ...")
wl_cap <- fit_cap(lavaan::cfa(model7, data = dat, ordered = TRUE, estimator = "WLSMV"))
fit_wl <- wl_cap$value
pe_wl <- lavaan::parameterEstimates(fit_wl, standardized = TRUE)
fm_wl <- lavaan::fitMeasures(fit_wl)

write_json_file(list(
  description = paste(
    "hpmob 7-factor CFA (AW, RT, PM, IM, DT, SE, CO; cfa() defaults:",
    "marker-variable identification, no mean structure) on the cleaned,",
    "reverse-keyed survey items, with estimator ML and MLR. Also semTools",
    "reliability/validity, HTMT, psych KMO and Bartlett's test on the same",
    "rows, and a WLSMV fit on polychoric correlations."),
  data = data_block,
  model = model7,
  ML = cfa_ml,
  MLR = cfa_mlr,
  htmt = list(
    call = "semTools::htmt(model, data = dat)  # defaults: absolute = TRUE, htmt2 = TRUE, missing = 'listwise'",
    matrix = mat(unclass(htmt_cap$value)),
    note = "full symmetric matrix as returned (semTools prints only the lower triangle)",
    warnings = htmt_cap$warnings
  ),
  KMO = list(
    call = "psych::KMO(dat[, items31])  # Pearson correlations",
    MSA = kmo_cap$value$MSA,
    MSAi = nvec(kmo_cap$value$MSAi),
    warnings = kmo_cap$warnings,
    messages = kmo_cap$messages
  ),
  cortest.bartlett = list(
    call = "psych::cortest.bartlett(cor(dat[, items31]), n = nrow(dat))",
    chisq = bart_cap$value$chisq,
    df = bart_cap$value$df,
    p.value = bart_cap$value$p.value,
    warnings = bart_cap$warnings,
    messages = bart_cap$messages
  ),
  WLSMV = list(
    call = "cfa(model, data = dat, ordered = TRUE, estimator = \"WLSMV\")",
    note = paste(
      "All 31 items are declared ordered, which gives polychoric correlations",
      "and DWLS estimation with mean-and-variance adjusted test (scaled.shifted)",
      "and robust SEs. Items are identified by delta parameterization. An item",
      "with an empty category has fewer thresholds: in these rows RT1 has no 1s",
      "or 2s, and RT3, RT4, SE2 and SE3 have no 1s."),
    converged = lavaan::lavInspect(fit_wl, "converged"),
    nobs = lavaan::lavInspect(fit_wl, "nobs"),
    options = opts_block(fit_wl),
    key_fitMeasures = nvec(fm_wl[c("chisq.scaled", "df.scaled", "pvalue.scaled",
                                   "cfi.scaled", "tli.scaled", "rmsea.scaled", "srmr")]),
    fitMeasures = nvec(fm_wl),
    standardized_loadings = records(pe_wl[pe_wl$op == "=~",
                                          c("lhs", "op", "rhs", "est", "se", "std.all")]),
    parameterEstimates = records(pe_wl),
    warnings = wl_cap$warnings
  ),
  session = session_block()
), "hpmob_cfa.json")

## ========================================================== invariance ====
grp_labels <- c("city", "district", "commune")
inv_specs <- list(
  configural = list(group.equal = character(0), group.partial = character(0)),
  metric = list(group.equal = "loadings", group.partial = character(0)),
  scalar = list(group.equal = c("loadings", "intercepts"), group.partial = character(0)),
  strict = list(group.equal = c("loadings", "intercepts", "residuals"),
                group.partial = character(0)),
  partial_scalar = list(group.equal = c("loadings", "intercepts"),
                        group.partial = "PM3~1")
)

fit_inv <- function(model, data, s, ...) {
  args <- list(model = model, data = data, group = "level",
               group.label = grp_labels, ...)
  if (length(s$group.equal)) args$group.equal <- s$group.equal
  if (length(s$group.partial)) args$group.partial <- s$group.partial
  fit_cap(do.call("cfa", args))
}

## Optimizer diagnostics: iterations, the objective, and the largest gradient
## elements with their parameters.
optim_block <- function(fit, top = 5) {
  g <- lavaan::lavInspect(fit, "optim.gradient")
  pt <- lavaan::parTable(fit)
  fr <- pt[pt$free > 0, c("lhs", "op", "rhs", "group")]
  o <- order(-abs(g))[seq_len(min(top, length(g)))]
  fr <- fr[o, , drop = FALSE]
  fr$gradient <- g[o]
  list(optim.method = lavaan::lavInspect(fit, "options")$optim.method,
       iterations = lavaan::lavInspect(fit, "iterations"),
       fx = fit@optim$fx,
       max_abs_gradient = max(abs(g)),
       largest_gradient = records(fr))
}

score_block <- function(fit) {
  ts <- capture(lavaan::lavTestScore(fit))
  if (!is.null(ts$error)) return(list(error = ts$error))
  pt <- lavaan::parTable(fit)
  uni <- as.data.frame(unclass(ts$value$uni), stringsAsFactors = FALSE)
  i_lhs <- match(uni$lhs, pt$plabel)
  uni$param_lhs <- pt$lhs[i_lhs]
  uni$param_op <- pt$op[i_lhs]
  uni$param_rhs <- pt$rhs[i_lhs]
  uni$param_group_lhs <- pt$group[i_lhs]
  uni$param_group_rhs <- pt$group[match(uni$rhs, pt$plabel)]
  ic <- uni[uni$param_op == "~1", , drop = FALSE]
  top <- ic[which.max(ic$X2), , drop = FALSE]
  list(
    call = "lavTestScore(fit)",
    test = records(ts$value$test),
    uni = records(uni),
    uni_intercepts_only = records(ic),
    largest_intercept = list(param = paste0(top$param_lhs, top$param_op),
                             constraint = paste(top$lhs, top$op, top$rhs),
                             groups = c(top$param_group_lhs, top$param_group_rhs),
                             X2 = top$X2, df = top$df, p.value = top$p.value),
    warnings = ts$warnings
  )
}

latent_means <- function(fit) {
  lvs <- lavaan::lavNames(fit, "lv")
  pe <- lavaan::parameterEstimates(fit, standardized = TRUE)
  lm <- pe[pe$op == "~1" & pe$lhs %in% lvs, , drop = FALSE]
  lm$group_label <- grp_labels[lm$group]
  records(lm)
}

run_invariance <- function(model, data, label) {
  message("invariance: ", label, " ...")
  caps <- lapply(inv_specs, function(s) fit_inv(model, data, s))
  conv <- vapply(caps, function(cap) lavaan::lavInspect(cap$value, "converged"), logical(1))
  ## lavaan refuses fitMeasures() for a fit that fails its post-optimization
  ## gradient check. Such a fit is refitted with check.gradient = FALSE and
  ## with BFGS. The nlminb refit stands in for the model in the summary and
  ## in the LRTs, and it is flagged there.
  refits <- lapply(names(caps), function(nm) {
    if (conv[[nm]]) return(NULL)
    message("  ", nm, " did not converge (gradient check); refitting with check.gradient = FALSE")
    list(nlminb = fit_inv(model, data, inv_specs[[nm]], check.gradient = FALSE),
         BFGS = fit_inv(model, data, inv_specs[[nm]], check.gradient = FALSE,
                        optim.method = "BFGS"))
  })
  names(refits) <- names(caps)
  fits <- lapply(names(caps), function(nm)
    if (conv[[nm]]) caps[[nm]]$value else refits[[nm]]$nlminb$value)
  names(fits) <- names(caps)
  key_fm <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "logl")
  blocks <- lapply(names(caps), function(nm) {
    cap <- caps[[nm]]
    s <- inv_specs[[nm]]
    fit <- cap$value
    out <- list(group.equal = I(s$group.equal),
                group.partial = I(s$group.partial),
                converged = conv[[nm]],
                nobs = lavaan::lavInspect(fit, "nobs"),
                optim = optim_block(fit))
    if (conv[[nm]]) {
      out$fitMeasures <- nvec(lavaan::fitMeasures(fit))
      out$parameterEstimates <- records(lavaan::parameterEstimates(fit, standardized = TRUE))
    } else {
      rf <- refits[[nm]]
      out$not_converged_note <- paste(
        "lavaan's default fit (nlminb) stopped with a gradient that is not",
        "near zero (see optim). lavaan then reports converged = FALSE and",
        "refuses fitMeasures(). check.gradient_FALSE is the same fit with the",
        "gradient check switched off (the same estimates). BFGS is a refit with",
        "optim.method = 'BFGS'. The two optimizers reach objectives that differ",
        "in the 6th-7th significant digit, and some parameters of the affected",
        "group are far apart (empirically underidentified). Use these numbers",
        "only as loose references.")
      out$check.gradient_FALSE <- list(
        call = "cfa(..., check.gradient = FALSE)",
        fitMeasures = nvec(lavaan::fitMeasures(rf$nlminb$value)),
        parameterEstimates = records(lavaan::parameterEstimates(rf$nlminb$value, standardized = TRUE)),
        warnings = rf$nlminb$warnings)
      out$BFGS <- list(
        call = "cfa(..., check.gradient = FALSE, optim.method = 'BFGS')",
        optim = optim_block(rf$BFGS$value),
        key_fitMeasures = nvec(lavaan::fitMeasures(rf$BFGS$value, key_fm)),
        max_abs_est_difference_to_nlminb = max(abs(
          lavaan::coef(rf$BFGS$value) - lavaan::coef(rf$nlminb$value))),
        warnings = rf$BFGS$warnings)
    }
    out$warnings <- cap$warnings
    out
  })
  names(blocks) <- names(caps)
  lrt <- function(a, b) {
    r <- capture(lavaan::lavTestLRT(fits[[a]], fits[[b]], model.names = c(a, b)))
    if (!is.null(r$error)) return(list(error = r$error))
    t <- as.data.frame(unclass(r$value), check.names = FALSE)
    dfs <- c(lavaan::fitMeasures(fits[[a]], "df"), lavaan::fitMeasures(fits[[b]], "df"))
    rownames(t) <- c(a, b)[order(dfs)]
    list(models = c(a, b),
         uses_check.gradient_FALSE_fit = I(c(a, b)[!conv[c(a, b)]]),
         table = records(t, rowname_col = "model"),
         chisq_diff = unname(t[["Chisq diff"]][2]),
         df_diff = unname(t[["Df diff"]][2]),
         p = unname(t[["Pr(>Chisq)"]][2]),
         warnings = r$warnings)
  }
  summary_tab <- do.call(rbind, lapply(names(fits), function(nm) {
    fm <- lavaan::fitMeasures(fits[[nm]], key_fm)
    data.frame(c(list(model = nm, converged = conv[[nm]]), as.list(unclass(fm))),
               check.names = FALSE, stringsAsFactors = FALSE)
  }))
  list(
    model = model,
    group = "level",
    group.label = lavaan::lavInspect(fits$configural, "group.label"),
    nobs = lavaan::lavInspect(fits$configural, "nobs"),
    all_converged = all(conv),
    models = blocks,
    summary = records(summary_tab),
    summary_note = "a model with converged = false is represented by its check.gradient = FALSE refit",
    lavTestLRT = list(
      configural_vs_metric = lrt("configural", "metric"),
      metric_vs_scalar = lrt("metric", "scalar"),
      scalar_vs_strict = lrt("scalar", "strict"),
      metric_vs_partial_scalar = lrt("metric", "partial_scalar"),
      partial_scalar_vs_scalar = lrt("partial_scalar", "scalar")
    ),
    scalar_lavTestScore = score_block(fits$scalar),
    scalar_modindices_top10 = mi_top(fits$scalar),
    partial_scalar_latent_means = latent_means(fits$partial_scalar),
    scalar_latent_means = latent_means(fits$scalar)
  )
}

inv7 <- run_invariance(model7, dat, "7-factor")
inv_small <- run_invariance(model_small, dat, "PM/AW/IM")

write_json_file(list(
  description = paste(
    "Measurement invariance across governance level (group = 'level', ML,",
    "cfa() defaults, which add a mean structure for multigroup fits) for the 7-factor model",
    "(model7) and for the PM/AW/IM model used for latent mean comparisons",
    "(small). Models: configural, metric (loadings), scalar (loadings,",
    "intercepts), strict (plus residuals), partial_scalar (scalar with",
    "group.partial = 'PM3~1'). Group 1 = city (reference: latent means fixed",
    "to 0 once intercepts are equal), 2 = district, 3 = commune."),
  data = data_block,
  group.label_argument = grp_labels,
  caveat_model7 = paste(
    "With listwise deletion the city group has only 35 rows for 31 items",
    "and 7 factors. In that group the configural 7-factor fit fails lavaan's",
    "gradient check (converged = false). RT is empirically underidentified",
    "there, and the latent covariance matrix is not positive definite in",
    "city in every 7-factor model, which lavaan warns about. Its",
    "chi-square is inflated by the small groups (CFI about 0.72-0.77). Use",
    "the model7 numbers only as loose references. The small model",
    "converges in every step."),
  lavTestLRT_note = "lavTestLRT default for ML: standard chi-square difference test; p = Pr(>Chisq)",
  lavTestScore_note = paste(
    "univariate score tests of the equality constraints of the scalar model;",
    "param_* map the constraint's left-hand plabel back to the parameter,",
    "param_group_lhs/rhs are the two groups whose parameters are set equal"),
  latent_means_note = paste(
    "rows of parameterEstimates(standardized = TRUE) with op '~1' and a",
    "latent lhs; group_label added. In the city group the latent means are",
    "fixed to 0 (est = se = ci = 0; z and pvalue null). est is in the",
    "metric of the marker item (PM1, AW1, IM1); std.all divides by the",
    "group's own latent SD."),
  model7 = inv7,
  small = inv_small,
  session = session_block()
), "hpmob_invariance.json")

## ================================================================= SEM ====
message("SEM ...")
sem_cap <- fit_cap(lavaan::sem(model_sem, data = dat))
fit_sem <- sem_cap$value
pe_sem <- lavaan::parameterEstimates(fit_sem, standardized = TRUE)
key_rows <- pe_sem[pe_sem$label %in% c("a", "b", "c", "h5", "ind", "ind_train", "total"), ]

## PoliticalDemocracy bootstrap of the indirect effect
PD <- utils::read.csv(file.path(data_dir, "PoliticalDemocracy.csv"),
                      stringsAsFactors = FALSE, check.names = FALSE)
local({
  ref <- lavaan::PoliticalDemocracy
  stopifnot(identical(names(PD), names(ref)), nrow(PD) == nrow(ref),
            isTRUE(all(as.matrix(PD) == as.matrix(ref))))
})
pd_model <- "
  # measurement model
    ind60 =~ x1 + x2 + x3
    dem60 =~ y1 + y2 + y3 + y4
    dem65 =~ y5 + y6 + y7 + y8
  # regressions
    dem60 ~ a*ind60
    dem65 ~ c*ind60 + b*dem60
  # residual correlations
    y1 ~~ y5
    y2 ~~ y4 + y6
    y3 ~~ y7
    y4 ~~ y8
    y6 ~~ y8
  # defined parameters
    ind := a*b
    total := c + a*b
"
message("PoliticalDemocracy bootstrap (2000 draws) ...")
set.seed(20250902)
pd_cap <- fit_cap(lavaan::sem(pd_model, data = PD, se = "bootstrap", bootstrap = 2000))
fit_pd <- pd_cap$value
boot <- lavaan::lavInspect(fit_pd, "boot")
pe_perc <- lavaan::parameterEstimates(fit_pd, boot.ci.type = "perc")
pe_bca <- lavaan::parameterEstimates(fit_pd, boot.ci.type = "bca.simple")

## The resampled rows of each draw. lavaan's se = "bootstrap" does not keep
## them, but bootstrapLavaan(keep.idx = TRUE) with the same seed makes the
## same draws. The script checks this, and the estimates must be identical,
## and only then writes the indices. With them, other software can refit the
## same 2000 samples.
message("PoliticalDemocracy bootstrap indices (2000 draws again) ...")
fit_pd_ml <- lavaan::sem(pd_model, data = PD)
set.seed(20250902)
bl_cap <- capture(lavaan::bootstrapLavaan(fit_pd_ml, R = 2000, FUN = "coef",
                                          keep.idx = TRUE))
boot_idx <- NULL
boot_idx_note <- "bootstrapLavaan(keep.idx = TRUE) did not reproduce the draws; indices not written"
if (is.null(bl_cap$error) &&
    identical(unname(unclass(bl_cap$value)[, , drop = FALSE]),
              unname(unclass(boot)[, , drop = FALSE]))) {
  idx <- attr(bl_cap$value, "boot.idx")[[1]]
  stopifnot(identical(dim(idx), c(2000L, nrow(PD))))
  idx_df <- as.data.frame(idx)
  names(idx_df) <- paste0("i", seq_len(ncol(idx_df)))
  idx_path <- file.path(data_dir, "hpmob_poldem_boot_idx.csv")
  utils::write.csv(idx_df, idx_path, row.names = FALSE)
  back <- utils::read.csv(idx_path)
  stopifnot(identical(dim(back), dim(idx_df)), identical(names(back), names(idx_df)),
            isTRUE(all(as.matrix(back) == as.matrix(idx_df))))
  message("wrote ", idx_path)
  ## the draws of a, b, c and the defined parameters, with 17 significant
  ## digits so the CSV round trip is exact
  bm <- unclass(boot)
  draws <- data.frame(a = bm[, "a"], b = bm[, "b"], c = bm[, "c"])
  draws$ind <- draws$a * draws$b
  draws$total <- draws$c + draws$a * draws$b
  draws_path <- file.path(data_dir, "hpmob_poldem_boot_draws.csv")
  txt <- c(paste(names(draws), collapse = ","),
           do.call(paste, c(lapply(draws, function(x) sprintf("%.17g", x)), sep = ",")))
  writeLines(txt, draws_path)
  back <- utils::read.csv(draws_path)
  stopifnot(identical(names(back), names(draws)),
            isTRUE(all(as.matrix(back) == as.matrix(draws))))
  message("wrote ", draws_path)
  boot_idx <- list(
    file = "data/hpmob_poldem_boot_idx.csv",
    draws_file = "data/hpmob_poldem_boot_draws.csv",
    note = paste(
      "Row k of the indices file holds the 75 resampled rows (1-based rows",
      "of PoliticalDemocracy.csv) of bootstrap draw k. They come from",
      "set.seed(20250902); bootstrapLavaan(sem(model, data = PD), R = 2000,",
      "FUN = 'coef', keep.idx = TRUE), and the script checked that its",
      "draws are identical to lavInspect(fit, 'boot') of the se =",
      "'bootstrap' fit. Refitting a resample from the indices reproduces",
      "lavaan's draw to about 1e-4, because lavaan starts each draw at the",
      "full-sample estimates and stops at its optimizer tolerance. The draws",
      "file holds lavaan's own draws of a, b, c and of ind = a*b and",
      "total = c + a*b (17 significant digits). All 2000 draws are used,",
      "including the nonadmissible ones."))
}

write_json_file(list(
  description = paste(
    "hpmob structural model (ML, sem() defaults) on the same rows as the CFA,",
    "with training_z = (training_courses - 2.5) / 1.7 as an observed exogenous",
    "covariate; and a bootstrap of the PoliticalDemocracy indirect effect."),
  data = data_block,
  model = model_sem,
  call = "sem(model, data = dat)",
  training_z = "training_z = (training_courses - 2.5) / 1.7, computed in R",
  note = paste(
    "fixed.x = TRUE (the default), so training_z's variance is fixed at its",
    "sample value (N divisor) and is not a free parameter. lavaan adds no",
    "covariance between training_z and the exogenous latent variables",
    "(AW, DT, SE, CO), so these covariances are fixed to 0. The exogenous",
    "latent variables covary freely among themselves. RT is not in the",
    "model."),
  converged = lavaan::lavInspect(fit_sem, "converged"),
  nobs = lavaan::lavInspect(fit_sem, "nobs"),
  options = opts_block(fit_sem),
  fitMeasures = nvec(lavaan::fitMeasures(fit_sem)),
  parameterEstimates = records(pe_sem),
  key_parameters = records(key_rows),
  r2 = nvec(lavaan::inspect(fit_sem, "r2")),
  warnings = sem_cap$warnings,
  poldem_bootstrap = list(
    data_file = "data/PoliticalDemocracy.csv",
    model = pd_model,
    call = paste(
      "set.seed(20250902); sem(model, data = PD, se = \"bootstrap\",",
      "bootstrap = 2000); parameterEstimates(fit, boot.ci.type = ...)"),
    seed = 20250902,
    R = 2000,
    n_boot_ok = nrow(boot),
    n_boot_error = length(attr(boot, "error.idx")),
    n_boot_nonadmissible = length(attr(boot, "nonadmissible")),
    nonadmissible_note = paste(
      "lavaan flags draws with nonadmissible solutions (e.g. negative",
      "variances) and warns, but keeps them: se and the CIs use all",
      "n_boot_ok draws."),
    boot_indices = if (is.null(boot_idx)) boot_idx_note else boot_idx,
    note = paste(
      "se is the SD of the bootstrap draws. perc is the percentile CI.",
      "bca.simple is the bias-corrected percentile CI (no acceleration).",
      "The draws depend on R's RNG. With boot_indices, other software can",
      "refit the same resamples. Without them, it reproduces the estimates",
      "exactly, but the SEs and CIs only up to Monte Carlo error."),
    fitMeasures = nvec(lavaan::fitMeasures(fit_pd)),
    parameterEstimates_perc = records(pe_perc),
    parameterEstimates_bca.simple = records(pe_bca),
    warnings = pd_cap$warnings
  ),
  session = session_block()
), "hpmob_sem.json")

## ============================================================== timing ====
message("timing ...")
time_median <- function(f, reps = 5) {
  f()  # warm-up
  el <- vapply(seq_len(reps), function(i) unname(system.time(f())["elapsed"]), numeric(1))
  list(median_seconds = stats::median(el), runs_seconds = el, reps = reps)
}
t_cfa <- time_median(function() {
  fit <- lavaan::cfa(model7, data = dat)
  lavaan::fitMeasures(fit)
})
inv_seq <- function(model) function() {
  for (s in inv_specs[c("configural", "metric", "scalar", "strict")]) {
    args <- list(model = model, data = dat, group = "level", group.label = grp_labels)
    if (length(s$group.equal)) args$group.equal <- s$group.equal
    suppressWarnings(do.call("cfa", args))
  }
}
t_inv7 <- time_median(inv_seq(model7))
t_inv_small <- time_median(inv_seq(model_small))

write_json_file(list(
  description = paste(
    "Wall time (system.time elapsed, one warm-up and then 5 timed runs, median) of",
    "lavaan on the hpmob data, for benchmarks. This file changes between runs."),
  data = data_block,
  cfa7_ML_plus_fitMeasures = c(list(call = "fit <- cfa(model7, data = dat); fitMeasures(fit)"), t_cfa),
  invariance_sequence_model7 = c(list(
    call = "cfa(model7, data = dat, group = 'level', group.label = ..., group.equal = ...) for configural, metric, scalar, strict"),
    t_inv7),
  invariance_sequence_model7_note = paste(
    "the configural 7-factor fit stops without a certified optimum (gradient",
    "check fails in the city group, see hpmob_invariance.json) after about",
    "840 iterations; it dominates this time"),
  invariance_sequence_small = c(list(
    call = "the same four fits for the PM/AW/IM model"), t_inv_small),
  R.version.string = R.version.string,
  lavaan = as.character(utils::packageVersion("lavaan")),
  platform = R.version$platform,
  cpu = tryCatch({
    l <- grep("^model name", readLines("/proc/cpuinfo", warn = FALSE), value = TRUE)[1]
    trimws(sub("^[^:]*:", "", l))
  }, error = function(e) NULL),
  blas = tryCatch(sessionInfo()$BLAS, error = function(e) NULL)
), "hpmob_timing.json")

message("done")
