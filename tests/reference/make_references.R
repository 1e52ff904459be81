#!/usr/bin/env Rscript
## Generate R reference values for the hpmob Python test-suite.
##
## Run from the repository root:
##     Rscript tests/reference/make_references.R
##
## Writes (all under tests/reference/):
##   data/HolzingerSwineford1939.csv        lavaan's data set, all columns
##   data/HolzingerSwineford1939_x123_missing.csv  x1..x3 with seeded 5% NA cells
##   data/PoliticalDemocracy.csv             lavaan's data set
##   psych_alpha.json, omega.json, lavaan_hs.json,
##   lavaan_hs_invariance.json, lavaan_poldem.json, session.json
##
## All models are fitted on the data *as read back from the CSV files*, so the
## Python tests and these references use exactly the same rows and values.
## JSON: numbers are written with 15 significant digits (jsonlite digits = NA);
## NA / NaN / Inf are written as null.  Keys are kept exactly as R names them.

suppressPackageStartupMessages({
  library(jsonlite)
  library(lavaan)
  library(semTools)
  library(psych)
})

## ---------------------------------------------------------------- paths ----
out_dir <- file.path("tests", "reference")
data_dir <- file.path(out_dir, "data")
if (!dir.exists(out_dir)) {
  stop("Run this script from the repository root (tests/reference not found).")
}
dir.create(data_dir, showWarnings = FALSE, recursive = TRUE)

## -------------------------------------------------------------- helpers ----
write_json_file <- function(x, name) {
  path <- file.path(out_dir, name)
  txt <- jsonlite::toJSON(x, auto_unbox = TRUE, digits = NA, na = "null",
                          null = "null", pretty = TRUE)
  writeLines(txt, path, useBytes = TRUE)
  message("wrote ", path)
  invisible(path)
}

## matrix -> {rownames, colnames, values (row-major)}
mat <- function(m) {
  m <- unclass(m)
  m <- as.matrix(m)
  storage.mode(m) <- "double"
  list(rownames = if (is.null(rownames(m))) NULL else rownames(m),
       colnames = if (is.null(colnames(m))) NULL else colnames(m),
       values = lapply(seq_len(nrow(m)), function(i) unname(m[i, ])))
}

## named numeric vector -> named list (JSON object); keeps NA as null
nvec <- function(v) {
  v <- unclass(v)
  nm <- names(v)
  out <- lapply(seq_along(v), function(i) unname(v[[i]]))
  names(out) <- nm
  out
}

## data.frame -> list of records (one object per row); row names optional
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

## run an expression, capturing warnings and messages
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
  ## I(): always serialise as JSON arrays, even with 0 or 1 element
  list(value = val, warnings = I(unique(warns)), messages = I(unique(msgs)),
       error = if (inherits(val, "captured_error")) val$message else NULL)
}

## write a CSV, read it back, and check the round trip is exact
write_and_reload <- function(df, name) {
  path <- file.path(data_dir, name)
  utils::write.csv(df, path, row.names = FALSE, na = "")
  back <- utils::read.csv(path, stringsAsFactors = FALSE, na.strings = "",
                          check.names = FALSE)
  stopifnot(identical(dim(back), dim(df)), identical(names(back), names(df)))
  for (v in names(df)) {
    a <- df[[v]]
    b <- back[[v]]
    if (is.factor(a)) a <- as.character(a)
    if (is.numeric(a)) {
      stopifnot(identical(is.na(a), is.na(b)),
                isTRUE(all(a[!is.na(a)] == b[!is.na(b)])))
    } else {
      stopifnot(identical(a, b))
    }
  }
  message("wrote ", path)
  back
}

## ----------------------------------------------------------------- data ----
HS <- write_and_reload(lavaan::HolzingerSwineford1939,
                       "HolzingerSwineford1939.csv")
PD <- write_and_reload(lavaan::PoliticalDemocracy, "PoliticalDemocracy.csv")

## seeded 5% of the x1..x3 cells set to NA (id kept so rows can be matched)
set.seed(20240501)
HSmiss <- HS[, c("id", "x1", "x2", "x3")]
n_cells <- nrow(HSmiss) * 3
n_na <- round(0.05 * n_cells)
na_cells <- sample.int(n_cells, n_na)
xm <- as.matrix(HSmiss[, c("x1", "x2", "x3")])
xm[na_cells] <- NA
HSmiss[, c("x1", "x2", "x3")] <- xm
HSmiss <- write_and_reload(HSmiss, "HolzingerSwineford1939_x123_missing.csv")

item_sets <- list(
  visual = c("x1", "x2", "x3"),
  textual = c("x4", "x5", "x6"),
  speed = c("x7", "x8", "x9"),
  all9 = paste0("x", 1:9)
)

## ---------------------------------------------------------- psych alpha ----
alpha_summary <- function(df) {
  cap <- capture(psych::alpha(df))
  a <- cap$value
  n_obs <- nrow(df)
  k <- ncol(df)
  feldt <- if (!is.null(a$feldt)) {
    list(source = "psych::alpha()$feldt",
         lower = unname(unlist(a$feldt$lower.ci)),
         alpha = unname(unlist(a$feldt$alpha)),
         upper = unname(unlist(a$feldt$upper.ci)),
         r.bar = unname(unlist(a$feldt$r.bar)))
  } else {
    ci <- psych::alpha.ci(a$total$raw_alpha, n_obs, k)
    list(source = "psych::alpha.ci(raw_alpha, n.obs = nrow, n.var = k)",
         lower = unname(unlist(ci$lower.ci)),
         alpha = unname(unlist(ci$alpha)),
         upper = unname(unlist(ci$upper.ci)),
         r.bar = unname(unlist(ci$r.bar)))
  }
  duhachek <- if (!is.null(a$total$ase)) {
    list(source = "raw_alpha -/+ 1.96 * total$ase (as printed by psych)",
         ase = a$total$ase,
         lower = a$total$raw_alpha - 1.96 * a$total$ase,
         alpha = a$total$raw_alpha,
         upper = a$total$raw_alpha + 1.96 * a$total$ase)
  } else NULL
  list(
    items = names(df),
    n_rows = n_obs,
    n_complete_rows = sum(stats::complete.cases(df)),
    n_items = k,
    raw_alpha = a$total$raw_alpha,
    std.alpha = a$total$std.alpha,
    average_r = a$total$average_r,
    total = records(a$total)[[1]],
    feldt_ci = feldt,
    duhachek_ci = duhachek,
    alpha.drop = records(a$alpha.drop, rowname_col = "item"),
    item.stats = records(a$item.stats, rowname_col = "item"),
    warnings = cap$warnings,
    messages = cap$messages
  )
}

alpha_complete <- lapply(item_sets, function(items) alpha_summary(HS[, items]))

miss_df <- HSmiss[, c("x1", "x2", "x3")]
alpha_missing <- list(
  data_file = "data/HolzingerSwineford1939_x123_missing.csv",
  na_cells = sum(is.na(miss_df)),
  seed = 20240501,
  note = paste(
    "psych::alpha(use = 'pairwise') on data with NA cells: item covariances",
    "are pairwise-complete (cov(x, use = 'pairwise')); item.stats mean/sd use",
    "na.rm = TRUE and n is per item; Feldt CI uses n.obs = nrow(x) (all rows,",
    "including incomplete ones); ase uses nsub = nrow(x).  'listwise' below is",
    "psych::alpha(na.omit(x)) for comparison."),
  pairwise = alpha_summary(miss_df),
  listwise = alpha_summary(stats::na.omit(miss_df)),
  pairwise_cov = mat(stats::cov(miss_df, use = "pairwise")),
  pairwise_n = mat(crossprod(!is.na(as.matrix(miss_df))))
)

write_json_file(list(
  description = paste(
    "psych::alpha() on HolzingerSwineford1939 item sets.",
    "feldt_ci is Feldt's F-distribution CI (psych::alpha.ci:",
    "lower = 1 - (1 - alpha) * qf(0.975, n - 1, (n - 1) * (k - 1)),",
    "upper = 1 - (1 - alpha) * qf(0.025, n - 1, (n - 1) * (k - 1))); this is",
    "also the formula of pingouin.cronbach_alpha's parametric CI.",
    "duhachek_ci is raw_alpha -/+ 1.96 * ase (Duhachek & Iacobucci asymptotic",
    "SE), which psych prints as 'Duhachek'.  psych's print() shows both,",
    "Feldt first.  alpha.drop = statistics if the item is dropped;",
    "item.stats r.drop = item-rest correlation, r.cor = item-total",
    "correlation corrected for overlap and reliability."),
  data_file = "data/HolzingerSwineford1939.csv",
  item_sets = item_sets,
  complete = alpha_complete,
  missing = alpha_missing
), "psych_alpha.json")

## ---------------------------------------------------------------- omega ----
omega_one <- function(items, name) {
  model <- paste(name, "=~", paste(items, collapse = " + "))
  fit <- lavaan::cfa(model, data = HS, std.lv = TRUE)
  crs <- function(...) {
    cap <- capture(semTools::compRelSEM(fit, ...))
    v <- cap$value
    if (!is.null(cap$error)) return(list(error = cap$error))
    list(value = unname(unclass(v)[[1]]), warnings = cap$warnings)
  }
  pom <- capture(psych::omega(HS[, items], nfactors = 1, plot = FALSE))
  psych_omega <- if (!is.null(pom$error)) {
    list(ran = FALSE, error = pom$error, warnings = pom$warnings,
         messages = pom$messages)
  } else {
    o <- pom$value
    list(ran = TRUE, omega.tot = o$omega.tot, omega_h = o$omega_h,
         alpha = o$alpha, omega.lim = o$omega.lim,
         note = "psych::omega(x, nfactors = 1, plot = FALSE); default fm = 'minres'; omega_h is not meaningful with one factor",
         warnings = pom$warnings, messages = pom$messages)
  }
  est <- lavaan::parameterEstimates(fit)
  list(
    model = model,
    lavaan_call = "cfa(model, data = HS, std.lv = TRUE)",
    loadings = stats::setNames(as.list(est$est[est$op == "=~"]),
                               est$rhs[est$op == "=~"]),
    residual_variances = stats::setNames(
      as.list(est$est[est$op == "~~" & est$lhs == est$rhs & est$lhs %in% items]),
      est$lhs[est$op == "~~" & est$lhs == est$rhs & est$lhs %in% items]),
    compRelSEM = list(
      default = crs(),
      obs.var_TRUE = crs(obs.var = TRUE),
      obs.var_FALSE = crs(obs.var = FALSE),
      tau.eq_TRUE = crs(tau.eq = TRUE),
      note = paste(
        "semTools::compRelSEM defaults: obs.var = TRUE (denominator = observed",
        "total-score variance, i.e. sum of lavInspect(fit, 'sampstat')$cov,",
        "which for ML has the N divisor), tau.eq = FALSE.  obs.var = FALSE uses the model-implied",
        "total variance ((sum lambda)^2 + sum theta).  tau.eq = TRUE gives",
        "coefficient alpha (with N divisor).")),
    psych_omega = psych_omega
  )
}

write_json_file(list(
  description = "One-factor CFA omega per item set (semTools::compRelSEM) and psych::omega(nfactors = 1).",
  data_file = "data/HolzingerSwineford1939.csv",
  item_sets = item_sets,
  results = mapply(omega_one, item_sets, names(item_sets), SIMPLIFY = FALSE)
), "omega.json")

## ---------------------------------------------------- lavaan helpers ----
fit_block <- function(fit, with_extras = TRUE, mi_top = 10) {
  fm <- lavaan::fitMeasures(fit)
  pe <- lavaan::parameterEstimates(fit, standardized = TRUE)
  out <- list(
    converged = lavaan::lavInspect(fit, "converged"),
    nobs = lavaan::lavInspect(fit, "nobs"),
    options = list(
      estimator = lavaan::lavInspect(fit, "options")$estimator,
      se = lavaan::lavInspect(fit, "options")$se,
      test = lavaan::lavInspect(fit, "options")$test,
      likelihood = lavaan::lavInspect(fit, "options")$likelihood,
      meanstructure = lavaan::lavInspect(fit, "meanstructure"),
      information = lavaan::lavInspect(fit, "options")$information
    ),
    fitMeasures = nvec(fm),
    parameterEstimates = records(pe)
  )
  if (with_extras) {
    ng <- lavaan::lavInspect(fit, "ngroups")
    implied <- lavaan::lavInspect(fit, "implied")
    sampstat <- lavaan::lavInspect(fit, "sampstat")
    conv <- function(x) {
      lapply(x, function(el) if (is.matrix(el)) mat(el) else nvec(el))
    }
    if (ng == 1) {
      out$implied <- conv(implied)
      out$sampstat <- conv(sampstat)
    } else {
      out$implied <- lapply(implied, conv)
      out$sampstat <- lapply(sampstat, conv)
    }
    mi <- capture(lavaan::modindices(fit, sort. = TRUE))
    if (is.null(mi$error)) {
      out$modindices_top10 <- records(utils::head(mi$value, mi_top))
    } else {
      out$modindices_top10 <- list(error = mi$error)
    }
  }
  out
}

## -------------------------------------------------------- HS 3-factor ----
hs_model <- "
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
"

fit_ml <- lavaan::cfa(hs_model, data = HS)
fit_mlr <- lavaan::cfa(hs_model, data = HS, estimator = "MLR")
fit_ml_ms <- lavaan::cfa(hs_model, data = HS, meanstructure = TRUE)

rel_block <- function(fit) {
  rel <- capture(semTools::reliability(fit))
  cr_def <- capture(semTools::compRelSEM(fit))
  cr_f <- capture(semTools::compRelSEM(fit, obs.var = FALSE))
  cr_tau <- capture(semTools::compRelSEM(fit, tau.eq = TRUE))
  ave <- capture(semTools::AVE(fit))
  list(
    reliability = if (is.null(rel$error)) mat(rel$value) else list(error = rel$error),
    reliability_warnings = rel$warnings,
    compRelSEM = nvec(cr_def$value),
    compRelSEM_obs.var_FALSE = nvec(cr_f$value),
    compRelSEM_tau.eq_TRUE = nvec(cr_tau$value),
    AVE = if (is.null(ave$error)) nvec(ave$value) else list(error = ave$error),
    note = paste(
      "reliability() rows: alpha (tau.eq), omega (model-implied denominator),",
      "omega2 (= omega here), omega3 (observed denominator; equals the",
      "compRelSEM default), avevar.  AVE() and reliability()['avevar', ] agree",
      "to about 1e-7 only (they are computed by different code paths).")
  )
}

ml_block <- fit_block(fit_ml)
ml_block$semTools <- rel_block(fit_ml)
mlr_block <- fit_block(fit_mlr)
mlr_block$semTools <- rel_block(fit_mlr)
htmt_cap <- capture(semTools::htmt(hs_model, data = HS))
htmt_m <- unclass(htmt_cap$value)

write_json_file(list(
  description = "HolzingerSwineford1939 3-factor CFA (lavaan::cfa defaults: marker-variable identification, ML, likelihood = 'normal').",
  data_file = "data/HolzingerSwineford1939.csv",
  model = hs_model,
  ML = ml_block,
  MLR = mlr_block,
  ML_meanstructure = list(
    call = "cfa(model, data = HS, meanstructure = TRUE)",
    fitMeasures = nvec(lavaan::fitMeasures(fit_ml_ms)),
    parameterEstimates = records(lavaan::parameterEstimates(fit_ml_ms, standardized = TRUE))
  ),
  htmt = list(
    call = "semTools::htmt(model, data = HS)  # defaults: absolute = TRUE, htmt2 = TRUE, missing = 'listwise'",
    matrix = mat(htmt_m),
    note = "full symmetric matrix as returned (semTools prints only the lower triangle)",
    warnings = htmt_cap$warnings
  )
), "lavaan_hs.json")

## ------------------------------------------------------ HS invariance ----
inv_specs <- list(
  configural = list(group.equal = character(0), group.partial = character(0)),
  metric = list(group.equal = "loadings", group.partial = character(0)),
  scalar = list(group.equal = c("loadings", "intercepts"), group.partial = character(0)),
  strict = list(group.equal = c("loadings", "intercepts", "residuals"),
                group.partial = character(0)),
  partial_scalar = list(group.equal = c("loadings", "intercepts"),
                        group.partial = "x3~1")
)
inv_fits <- lapply(inv_specs, function(s) {
  args <- list(model = hs_model, data = HS, group = "school")
  if (length(s$group.equal)) args$group.equal <- s$group.equal
  if (length(s$group.partial)) args$group.partial <- s$group.partial
  do.call("cfa", args)
})

inv_blocks <- mapply(function(fit, s) {
  list(group.equal = I(s$group.equal),
       group.partial = I(s$group.partial),
       converged = lavaan::lavInspect(fit, "converged"),
       nobs = lavaan::lavInspect(fit, "nobs"),
       fitMeasures = nvec(lavaan::fitMeasures(fit)),
       parameterEstimates = records(lavaan::parameterEstimates(fit, standardized = TRUE)))
}, inv_fits, inv_specs, SIMPLIFY = FALSE)

## score tests for the equality constraints of the scalar model
score_block <- function(fit) {
  ts <- capture(lavaan::lavTestScore(fit))
  if (!is.null(ts$error)) return(list(error = ts$error))
  pt <- lavaan::parTable(fit)
  lab <- function(pl) {
    i <- match(pl, pt$plabel)
    paste0(pt$lhs[i], " ", pt$op[i], " ", pt$rhs[i], " [group ", pt$group[i], "]")
  }
  uni <- as.data.frame(unclass(ts$value$uni), stringsAsFactors = FALSE)
  i_lhs <- match(uni$lhs, pt$plabel)
  uni$param_lhs <- pt$lhs[i_lhs]
  uni$param_op <- pt$op[i_lhs]
  uni$param_rhs <- pt$rhs[i_lhs]
  uni$param_group_lhs <- pt$group[i_lhs]
  uni$param_group_rhs <- pt$group[match(uni$rhs, pt$plabel)]
  list(
    call = "lavTestScore(fit)",
    test = records(ts$value$test),
    uni = records(uni),
    uni_intercepts_only = records(uni[uni$param_op == "~1", , drop = FALSE]),
    warnings = ts$warnings
  )
}

lrt <- function(a, b, na, nb) {
  r <- capture(lavaan::lavTestLRT(inv_fits[[a]], inv_fits[[b]],
                                  model.names = c(na, nb)))
  if (!is.null(r$error)) return(list(error = r$error))
  t <- as.data.frame(unclass(r$value), check.names = FALSE)
  ## lavTestLRT sorts the models by df (least constrained first)
  dfs <- c(lavaan::fitMeasures(inv_fits[[a]], "df"),
           lavaan::fitMeasures(inv_fits[[b]], "df"))
  rownames(t) <- c(a, b)[order(dfs)]
  list(models = c(a, b),
       table = records(t, rowname_col = "model"),
       chisq_diff = unname(t[["Chisq diff"]][2]),
       df_diff = unname(t[["Df diff"]][2]),
       p = unname(t[["Pr(>Chisq)"]][2]),
       warnings = r$warnings)
}

scalar_mi <- capture(lavaan::modindices(inv_fits$scalar, sort. = TRUE))

write_json_file(list(
  description = "Measurement invariance of the HS 3-factor CFA across school (ML).",
  data_file = "data/HolzingerSwineford1939.csv",
  model = hs_model,
  group = "school",
  group.label = lavaan::lavInspect(inv_fits$configural, "group.label"),
  models = inv_blocks,
  scalar_lavTestScore = score_block(inv_fits$scalar),
  scalar_modindices_top10 = if (is.null(scalar_mi$error))
    records(utils::head(scalar_mi$value, 10)) else list(error = scalar_mi$error),
  lavTestLRT = list(
    configural_vs_metric = lrt("configural", "metric", "configural", "metric"),
    metric_vs_scalar = lrt("metric", "scalar", "metric", "scalar"),
    scalar_vs_strict = lrt("scalar", "strict", "scalar", "strict"),
    metric_vs_partial_scalar = lrt("metric", "partial_scalar", "metric", "partial_scalar"),
    partial_scalar_vs_scalar = lrt("partial_scalar", "scalar", "partial_scalar", "scalar")
  ),
  lavTestLRT_note = "lavTestLRT default method for ML: standard chi-square difference test; p = Pr(>Chisq)"
), "lavaan_hs_invariance.json")

## ---------------------------------------------------- PoliticalDemocracy ----
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
fit_pd <- lavaan::sem(pd_model, data = PD)
write_json_file(list(
  description = "lavaan tutorial PoliticalDemocracy SEM with residual covariances and a labelled indirect effect (ML).",
  data_file = "data/PoliticalDemocracy.csv",
  model = pd_model,
  call = "sem(model, data = PD)",
  converged = lavaan::lavInspect(fit_pd, "converged"),
  nobs = lavaan::lavInspect(fit_pd, "nobs"),
  fitMeasures = nvec(lavaan::fitMeasures(fit_pd)),
  parameterEstimates = records(lavaan::parameterEstimates(fit_pd, standardized = TRUE)),
  r2 = nvec(lavaan::inspect(fit_pd, "r2"))
), "lavaan_poldem.json")

## -------------------------------------------------------------- session ----
pkgs <- c("lavaan", "semTools", "psych", "GPArotation", "jsonlite", "mnormt")
dpkg <- tryCatch(
  suppressWarnings(system2("dpkg-query",
                           c("-W", shQuote("-f=${Package}\\t${Version}\\n"),
                             "r-base-core", "r-cran-lavaan", "r-cran-semtools",
                             "r-cran-psych", "r-cran-jsonlite", "r-cran-gparotation"),
                           stdout = TRUE, stderr = FALSE)),
  error = function(e) character(0))
dpkg_list <- list()
for (line in dpkg) {
  p <- strsplit(line, "\t", fixed = TRUE)[[1]]
  if (length(p) == 2) dpkg_list[[p[1]]] <- p[2]
}
write_json_file(list(
  R.version.string = R.version.string,
  R.version = paste(R.version$major, R.version$minor, sep = "."),
  platform = R.version$platform,
  packages = lapply(stats::setNames(pkgs, pkgs), function(p)
    tryCatch(as.character(utils::packageVersion(p)), error = function(e) NULL)),
  debian_packages = dpkg_list,
  blas = tryCatch(sessionInfo()$BLAS, error = function(e) NULL),
  lapack = tryCatch(sessionInfo()$LAPACK, error = function(e) NULL)
), "session.json")

message("done")
