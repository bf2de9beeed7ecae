# Reference values for the measurement tests, computed with psych and lavaan.
#
# Run from this folder:  Rscript reference.R
# Reads two_factor.csv, three_factor.csv and with_noise.csv (made by simulate.py) and writes
# <dataset>_reference.json next to them. The tests read only the JSON files,
# so they do not need R.
#
# Conventions (the same as the Python implementation):
# * listwise deletion over all items of the model before anything else;
# * scales are the column-name prefixes before the last underscore
#   (prequal_1 -> prequal);
# * Cronbach's alpha: psych::alpha raw_alpha; Feldt 95% CI both from psych
#   (alpha$feldt) and from the formula
#   [1 - (1 - a) F(0.975; n-1, (n-1)(k-1)), 1 - (1 - a) F(0.025; n-1, (n-1)(k-1))];
# * CFA: lavaan::cfa(std.lv = TRUE, estimator = "ML"), correlated factors,
#   default likelihood = "normal" (sample covariance with divisor N, chisq = N * F_ML),
#   default information = "expected" for standard errors;
# * one-factor model: all items on a single factor (best of several starts,
#   see below), compared with the measurement model by anova().

suppressPackageStartupMessages({
  library(lavaan)
  library(psych)
  library(jsonlite)
})

here <- getwd()

scales_of <- function(cols) {
  prefix <- sub("_[^_]*$", "", cols)
  split(cols, factor(prefix, levels = unique(prefix)))
}

cfa_syntax <- function(scales) {
  paste(sprintf("%s =~ %s", names(scales),
                vapply(scales, paste, "", collapse = " + ")), collapse = "\n")
}

fit_block <- function(fit) {
  fm <- fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr",
                           "srmr_bentler", "crmr", "baseline.chisq", "baseline.df"))
  as.list(unclass(fm))
}

reference <- function(name) {
  raw <- read.csv(file.path(here, paste0(name, ".csv")))
  data <- na.omit(raw)
  scales <- scales_of(colnames(data))
  n <- nrow(data)

  alphas <- lapply(names(scales), function(s) {
    x <- data[, scales[[s]]]
    k <- ncol(x)
    # for the noise scale psych prints a note that noise_1 correlates negatively
    # with the total; expected for items without a common factor
    a <- suppressMessages(suppressWarnings(psych::alpha(x, check.keys = FALSE)))
    raw_alpha <- a$total$raw_alpha
    list(scale = s, n_items = k, raw_alpha = raw_alpha,
         std_alpha = a$total$std.alpha,
         psych_feldt_low = as.numeric(a$feldt$lower.ci),
         psych_feldt_alpha = as.numeric(a$feldt$alpha),
         psych_feldt_high = as.numeric(a$feldt$upper.ci),
         feldt_low = 1 - (1 - raw_alpha) * qf(0.975, n - 1, (n - 1) * (k - 1)),
         feldt_high = 1 - (1 - raw_alpha) * qf(0.025, n - 1, (n - 1) * (k - 1)))
  })

  model <- cfa_syntax(scales)
  fit <- cfa(model, data = data, std.lv = TRUE, estimator = "ML")
  ss <- standardizedSolution(fit)
  loadings <- ss[ss$op == "=~", c("lhs", "rhs", "est.std", "se", "z", "pvalue")]
  names(loadings) <- c("scale", "item", "loading", "se", "z", "pvalue")
  pe <- parameterEstimates(fit)
  unstd <- pe[pe$op %in% c("=~", "~~"), c("lhs", "op", "rhs", "est", "se")]
  cors <- ss[ss$op == "~~" & ss$lhs != ss$rhs & ss$lhs %in% names(scales),
             c("lhs", "rhs", "est.std", "se")]
  names(cors) <- c("scale_a", "scale_b", "correlation", "se")

  # The one-factor model can have several local minima when the items form
  # distinct clusters (it does for two_factor.csv: lavaan's default start ends
  # at chisq 593.50, the global minimum is 580.73). Fit it from lavaan's
  # default start, from start = "simple" and from one start per scale
  # (loadings 1 on that scale's items, 0.2 elsewhere) and keep the lowest
  # chi-square, i.e. the ML estimate.
  items_all <- colnames(data)
  one_model <- paste("general =~", paste(items_all, collapse = " + "))
  starts <- list(default = one_model)
  for (s in names(scales)) {
    v <- ifelse(items_all %in% scales[[s]], 1, 0.2)
    starts[[paste0("scale:", s)]] <- paste("general =~",
      paste(sprintf("start(%g)*%s", v, items_all), collapse = " + "))
  }
  one_fits <- lapply(starts, function(m) cfa(m, data = data, std.lv = TRUE, estimator = "ML"))
  one_fits[["simple"]] <- cfa(one_model, data = data, std.lv = TRUE, estimator = "ML",
                              start = "simple")
  one_chisq <- vapply(one_fits, function(f) unname(fitMeasures(f, "chisq")), 0)
  one <- one_fits[[which.min(one_chisq)]]
  comparison <- anova(one, fit)

  R <- cor(data)
  ev <- eigen(R, symmetric = TRUE, only.values = TRUE)$values

  # HTMT (Henseler, Ringle & Sarstedt 2015) from its definition, signed correlations
  mono <- function(s) { b <- R[scales[[s]], scales[[s]]]; mean(b[upper.tri(b)]) }
  pairs <- combn(names(scales), 2)
  htmt <- lapply(seq_len(ncol(pairs)), function(j) {
    a <- pairs[1, j]; b <- pairs[2, j]
    list(scale_a = a, scale_b = b,
         htmt = mean(R[scales[[a]], scales[[b]]]) / sqrt(mono(a) * mono(b)))
  })

  list(
    dataset = name,
    n_rows = nrow(raw),
    n_complete = n,
    scales = lapply(scales, I),
    alpha = alphas,
    cfa = list(
      converged = lavInspect(fit, "converged"),
      fit = fit_block(fit),
      loadings = loadings,
      factor_correlations = cors,
      unstandardized = unstd
    ),
    one_factor = list(
      chisq_by_start = as.list(one_chisq),
      best_start = names(one_chisq)[which.min(one_chisq)],
      converged = lavInspect(one, "converged"),
      fit = fit_block(one),
      chisq_diff = comparison[["Chisq diff"]][2],
      df_diff = comparison[["Df diff"]][2],
      pvalue = comparison[["Pr(>Chisq)"]][2]
    ),
    htmt = htmt,
    harman = list(first_eigenvalue = ev[1], share = ev[1] / length(ev),
                  n_eigen_gt1 = sum(ev > 1))
  )
}

for (name in c("two_factor", "three_factor", "with_noise")) {
  out <- reference(name)
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
             file.path(here, paste0(name, "_reference.json")))
}
