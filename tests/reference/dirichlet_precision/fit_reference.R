# Reference values for the Dirichlet precision regression and the robust
# (sandwich) covariance of the Dirichlet regression, computed with R.
#
# Reads four_firms_analysis.csv (a copy of tests/reference/models' analysis
# data: centred analysis variables and the shares, already compressed as the
# package compresses them, so DR_data leaves them alone) and writes
# reference_values.json next to this script. Run from any folder:
#
#     Rscript tests/reference/dirichlet_precision/fit_reference.R
#
# Packages: DirichletReg (with Formula and maxLik), numDeriv, jsonlite.
#
# Fits (alternative parametrization, base "other"):
#   constant    Y ~ RHS | 1
#   precision   Y ~ RHS | firm + experience + performance
# with RHS the main model's right-hand side; the likelihood-ratio test of the
# precision regression against constant precision (anova()); and
#   firm_slopes Y ~ RHS + firm:(each focal predictor) | 1
# with anova()'s likelihood-ratio test of firm-specific slopes against the
# main model (constant precision).
#
# Robust covariance, computed independently of DirichletReg's own code: the
# per-observation Dirichlet log-density is written out below; the scores s_i
# are numDeriv::jacobian of the vector of per-observation log-densities at
# DirichletReg's estimates, the Hessian H is numDeriv::hessian of their sum,
# and the sandwich is H^-1 (sum_i s_i s_i') H^-1 (no small-sample factor).

suppressPackageStartupMessages({
  library(DirichletReg)
  library(numDeriv)
  library(jsonlite)
})

script_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
here <- if (length(script_arg)) dirname(normalizePath(sub("^--file=", "", script_arg[1L]))) else "."

d <- read.csv(file.path(here, "four_firms_analysis.csv"), stringsAsFactors = FALSE)
d$firm <- factor(d$firm, levels = sort(unique(d$firm)))
comps <- c("marketing", "self", "other")
d$Y <- DR_data(d[, comps])
stopifnot(!attr(d$Y, "transformed"))

rhs <- paste("firm + prequal + tracking + volume + experience + performance + variable_pay",
             "+ experience:prequal + experience:tracking + experience:volume",
             "+ performance:prequal + performance:tracking + performance:volume")
prec_rhs <- "firm + experience + performance"
ctrl <- list(iterlim = 10000L, tol1 = 1e-14, tol2 = 1e-14)

fit <- function(prec) {
  f <- as.formula(paste("Y ~", rhs, "|", prec))
  do.call("DirichReg", list(formula = f, data = quote(d), model = "alternative", base = 3L,
                            control = ctrl))
}
m0 <- fit("1")
m1 <- fit(prec_rhs)
lr <- anova(m1, m0)
# firm-specific slopes of the five focal predictors (constant precision)
slope_rhs <- paste(rhs, "+ firm:prequal + firm:tracking + firm:volume",
                   "+ firm:experience + firm:performance")
m_slopes <- do.call("DirichReg", list(formula = as.formula(paste("Y ~", slope_rhs, "| 1")),
                                      data = quote(d), model = "alternative", base = 3L,
                                      control = ctrl))
lr_slopes <- anova(m_slopes, m0)

X <- model.matrix(as.formula(paste("~", rhs)), data = d)
y <- as.matrix(d[, comps])
logy <- log(y)

make_ll_obs <- function(Z) make_ll_obs_x(X, Z)
make_ll_obs_x <- function(X, Z) {
  p <- ncol(X)
  function(theta) {
    bm <- theta[1:p]
    bs <- theta[(p + 1):(2 * p)]
    g <- theta[(2 * p + 1):length(theta)]
    eta <- cbind(X %*% bm, X %*% bs, 0)
    mu <- exp(eta - apply(eta, 1, max))
    mu <- mu / rowSums(mu)
    phi <- as.vector(exp(Z %*% g))
    alpha <- mu * phi
    lgamma(phi) - rowSums(lgamma(alpha)) + rowSums((alpha - 1) * logy)
  }
}

robust <- function(m, Z) {
  theta <- unname(m$coefficients)
  ll_obs <- make_ll_obs(Z)
  stopifnot(abs(sum(ll_obs(theta)) - as.numeric(m$logLik)) < 1e-8)
  S <- jacobian(ll_obs, theta)
  H <- hessian(function(t) sum(ll_obs(t)), theta)
  Hinv <- solve(H)
  V <- Hinv %*% crossprod(S) %*% Hinv
  list(
    robust_se = sqrt(diag(V)),
    model_se_numderiv = sqrt(diag(solve(-H))),
    max_abs_score = max(abs(colSums(S)))
  )
}

Z0 <- matrix(1, nrow(d), 1)
Z1 <- model.matrix(as.formula(paste("~", prec_rhs)), data = d)

describe <- function(m, Z) {
  r <- robust(m, Z)
  nm <- names(m$coefficients)
  list(
    coef_names = nm,
    coef = unname(m$coefficients),
    se = unname(m$se),
    llf = as.numeric(m$logLik),
    npar = m$npar,
    robust_se = r$robust_se,
    model_se_numderiv = r$model_se_numderiv,
    max_abs_score = r$max_abs_score,
    convergence_code = m$optimization$convergence
  )
}

out <- list(
  meta = list(
    generator = "fit_reference.R",
    R = R.version.string,
    DirichletReg = as.character(packageVersion("DirichletReg")),
    maxLik = as.character(packageVersion("maxLik")),
    Formula = as.character(packageVersion("Formula")),
    numDeriv = as.character(packageVersion("numDeriv")),
    jsonlite = as.character(packageVersion("jsonlite")),
    date = format(Sys.Date()),
    control = ctrl,
    rhs = rhs,
    precision_rhs = prec_rhs,
    mean_terms = colnames(X),
    precision_terms = colnames(Z1)
  ),
  constant = describe(m0, Z0),
  precision = describe(m1, Z1),
  lr_test = list(
    statistic = unname(lr$Difference[2]),
    df = unname(lr$df[2]),
    p_value = unname(lr$"Pr(>Chi)"[2]),
    statistic_by_hand = 2 * (as.numeric(m1$logLik) - as.numeric(m0$logLik))
  ),
  firm_slopes = list(
    llf = as.numeric(m_slopes$logLik),
    npar = m_slopes$npar,
    max_abs_score = max(abs(colSums(jacobian(make_ll_obs_x(
      model.matrix(as.formula(paste("~", slope_rhs)), data = d), Z0),
      unname(m_slopes$coefficients))))),
    statistic = unname(lr_slopes$Difference[2]),
    df = unname(lr_slopes$df[2]),
    p_value = unname(lr_slopes$"Pr(>Chi)"[2]),
    convergence_code = m_slopes$optimization$convergence
  )
)
write_json(out, file.path(here, "reference_values.json"), digits = I(17), auto_unbox = TRUE,
           pretty = TRUE)
cat("wrote reference_values.json\n")
