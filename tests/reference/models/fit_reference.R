# Reference values of the robustness models, computed with R.
#
# Reads datasets.json and the CSV files written by make_datasets.py (next to
# this script) and writes reference_values.json. Run from any folder:
#
#     Rscript tests/reference/models/fit_reference.R
#
# Packages: sandwich, systemfit (which loads car), jsonlite.
#
# For each case:
#   ols              lm(marketing ~ RHS) with sandwich::vcovHC(type = "HC3");
#                    logLik, AIC, BIC (R counts the error variance), R^2.
#   fractional_logit glm(marketing ~ RHS, family = quasibinomial) with
#                    sandwich::vcovHC(type = "HC0"). For a quasibinomial fit
#                    sandwich's bread is multiplied and its estimating
#                    functions divided by the estimated dispersion, so the
#                    dispersion cancels and HC0 equals the binomial-score
#                    sandwich (X'WX)^-1 X' diag(e^2) X (X'WX)^-1, e = y - mu.
#                    Checked below against that closed form.
#   sur              systemfit(list(marketing = ..., self = ...), method = "SUR")
#                    with every default (methodResidCov = "geomean", maxiter = 1);
#                    coefficients, standard errors sqrt(diag(vcov)), the 2x2
#                    covariance of the two prequal coefficients, logLik with its
#                    df, McElroy's R^2, and car::linearHypothesis(test = "Chisq")
#                    of marketing_prequal + self_prequal = 0.
#   probit           glm(any_marketing ~ RHS, family = binomial("probit")) on the
#                    selection sample, polished by three Newton steps (coef; glm's
#                    own estimates are kept as coef_glm); standard errors from the
#                    observed information, the inverse of
#                    sum_i l_i (l_i + eta_i) x_i x_i', l_i = q_i dnorm(eta_i) /
#                    pnorm(q_i eta_i), q_i = 2 y_i - 1, which is the covariance
#                    statsmodels' Probit reports; glm's standard errors (expected
#                    information) are kept as se_expected_glm.
#
# Coefficient names are mapped to the package's term names
# ("(Intercept)" -> "Intercept", "firmB" -> "firm[T.B]", "prequal:experience" ->
# "experience:prequal") and every vector is written in the package's term order.

suppressPackageStartupMessages({
  library(sandwich)
  library(systemfit)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else getwd()

meta <- fromJSON(file.path(here, "datasets.json"), simplifyVector = TRUE)

ctrl <- glm.control(epsilon = 1e-14, maxit = 100)

map_names <- function(r_names, terms) {
  key <- function(x) {
    parts <- strsplit(x, ":", fixed = TRUE)[[1]]
    parts <- sub("^firm\\[T\\.(.*)\\]$", "firm\\1", parts)
    parts <- sub("^\\(Intercept\\)$", "Intercept", parts)
    paste(sort(parts), collapse = ":")
  }
  tkeys <- vapply(terms, key, "")
  rkeys <- vapply(r_names, key, "")
  idx <- match(rkeys, tkeys)
  if (anyNA(idx)) stop("unmapped coefficient names: ", paste(r_names[is.na(idx)], collapse = ", "))
  terms[idx]
}

ordered <- function(x, r_names, terms) {
  names(x) <- map_names(r_names, terms)
  unname(x[terms])
}

rhs_of <- function(case) {
  main <- c("firm", "prequal", "tracking", "volume", "experience", "performance")
  if (isTRUE(case$variable_pay)) main <- c(main, "variable_pay")
  inter <- c("experience:prequal", "experience:tracking", "experience:volume",
             "performance:prequal", "performance:tracking", "performance:volume")
  paste(c(main, inter), collapse = " + ")
}

fit_case <- function(case) {
  terms <- case$terms
  d <- read.csv(file.path(here, case$analysis), colClasses = c(rep_id = "character", firm = "character"))
  s <- read.csv(file.path(here, case$selection), colClasses = c(rep_id = "character", firm = "character"))
  d$firm <- factor(d$firm, levels = sort(unique(d$firm)))
  s$firm <- factor(s$firm, levels = sort(unique(s$firm)))
  rhs <- rhs_of(case)
  f_mkt <- as.formula(paste("marketing ~", rhs))
  f_self <- as.formula(paste("self ~", rhs))
  f_any <- as.formula(paste("any_marketing ~", rhs))
  out <- list(terms = terms, n = nrow(d), n_selection = nrow(s))

  # OLS + HC3
  ols <- lm(f_mkt, data = d)
  v <- vcovHC(ols, type = "HC3")
  ll <- logLik(ols)
  out$ols <- list(
    coef = ordered(coef(ols), names(coef(ols)), terms),
    se = ordered(sqrt(diag(v)), names(coef(ols)), terms),
    loglik = as.numeric(ll), df = attr(ll, "df"), aic = AIC(ols), bic = BIC(ols),
    r_squared = summary(ols)$r.squared, nobs = nobs(ols))

  # fractional logit + HC0
  fl <- glm(f_mkt, data = d, family = quasibinomial(link = "logit"), control = ctrl)
  v <- vcovHC(fl, type = "HC0")
  X <- model.matrix(fl)
  mu <- fitted(fl)
  bread <- solve(crossprod(X * sqrt(mu * (1 - mu))))
  closed <- bread %*% crossprod(X * (d$marketing - mu)) %*% bread
  # Equal up to rounding (the dispersion cancels numerically: ~1e-12 relative with
  # exact zero shares, whose working residuals are large).
  stopifnot(max(abs(closed - v)) < 1e-10 * max(abs(v)))
  out$fractional_logit <- list(
    coef = ordered(coef(fl), names(coef(fl)), terms),
    se = ordered(sqrt(diag(v)), names(coef(fl)), terms),
    converged = fl$converged, iterations = fl$iter, nobs = nobs(fl))

  # SUR (systemfit defaults)
  sur <- systemfit(list(marketing = f_mkt, self = f_self), method = "SUR", data = d)
  cf <- coef(sur)
  vs <- vcov(sur)
  se <- sqrt(diag(vs))
  pick <- function(eq) {
    nm <- names(cf)[startsWith(names(cf), paste0(eq, "_"))]
    short <- sub(paste0("^", eq, "_"), "", nm)
    list(coef = ordered(cf[nm], short, terms), se = ordered(se[nm], short, terms))
  }
  pq <- c("marketing_prequal", "self_prequal")
  wald <- car::linearHypothesis(sur, "marketing_prequal + self_prequal = 0", test = "Chisq")
  ll <- logLik(sur)
  sm <- summary(sur)
  out$sur <- list(
    marketing = pick("marketing"), self = pick("self"),
    prequal_cov = unname(vs[pq, pq]),
    wald_stat = wald$Chisq[2], wald_p = wald[["Pr(>Chisq)"]][2], wald_df = wald$Df[2],
    loglik = as.numeric(ll), df = attr(ll, "df"),
    mcelroy_r_squared = sm$mcelroy.r.squared,
    resid_cov = unname(sur$residCov))

  # probit
  pr <- glm(f_any, data = s, family = binomial(link = "probit"), control = ctrl)
  Xs <- model.matrix(pr)
  q <- 2 * s$any_marketing - 1
  probit_derivs <- function(b) {
    eta <- drop(Xs %*% b)
    lam <- q * dnorm(q * eta) / pnorm(q * eta)
    list(score = drop(crossprod(Xs, lam)),
         info = crossprod(Xs * sqrt(lam * (lam + eta))),
         loglik = sum(pnorm(q * eta, log.p = TRUE)))
  }
  # glm stops on the relative change of the deviance (1e-14 here), which leaves
  # the coefficients about 1e-8 from the maximum; three Newton steps with the
  # analytic observed information polish them to the precision of doubles.
  b <- coef(pr)
  for (i in 1:3) {
    dv <- probit_derivs(b)
    b <- b + drop(solve(dv$info, dv$score))
  }
  dv <- probit_derivs(b)
  ll <- logLik(pr)
  out$probit <- list(
    coef = ordered(b, names(coef(pr)), terms),
    coef_glm = ordered(coef(pr), names(coef(pr)), terms),
    max_abs_score = max(abs(dv$score)),
    se_observed = ordered(sqrt(diag(solve(dv$info))), names(coef(pr)), terms),
    se_expected_glm = ordered(sqrt(diag(vcov(pr))), names(coef(pr)), terms),
    loglik = dv$loglik, loglik_glm = as.numeric(ll), aic = AIC(pr), bic = BIC(pr),
    converged = pr$converged, nobs = nobs(pr))
  out
}

result <- lapply(meta, fit_case)
result$`_meta` <- list(
  r_version = R.version.string,
  packages = list(sandwich = as.character(packageVersion("sandwich")),
                  systemfit = as.character(packageVersion("systemfit")),
                  car = as.character(packageVersion("car")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  glm_control = list(epsilon = 1e-14, maxit = 100))
writeLines(toJSON(result, auto_unbox = TRUE, digits = I(15), pretty = TRUE),
           file.path(here, "reference_values.json"))
cat("wrote", file.path("reference_values.json"), "\n")
