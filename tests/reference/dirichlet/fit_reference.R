# Reference values for the Dirichlet regression of leadblackhole, computed with
# R's DirichletReg package (the version recorded in VERSIONS.md).
#
# Requires the packages DirichletReg (with its dependencies Formula and maxLik)
# and jsonlite to be installed in R's library path.
#
# Reads cases.json and the CSV data sets next to this script, fits every case
# with tightened optimizer tolerances and writes reference_values.json next to
# this script. Run from any folder:
#
#     Rscript tests/reference/dirichlet/fit_reference.R
#
# The raw shares are handed to DR_data(), which normalizes rows that do not
# sum to 1 and compresses all shares when some are 0 or 1.

suppressPackageStartupMessages({
  library(DirichletReg)
  library(jsonlite)
})

script_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
here <- if (length(script_arg)) dirname(normalizePath(sub("^--file=", "", script_arg[1L]))) else "."

cases <- fromJSON(file.path(here, "cases.json"), simplifyVector = FALSE)
ctrl <- list(iterlim = 10000L, tol1 = 1e-12, tol2 = 1e-12)
trafo <- sqrt(.Machine$double.eps)  # DR_data's default threshold

fit_case <- function(cs) {
  d <- read.csv(file.path(here, cs$data), stringsAsFactors = TRUE)
  comps <- unlist(cs$components)
  raw <- as.matrix(d[, comps])
  d$Y <- suppressWarnings(DR_data(d[, comps]))
  shares <- raw / rowSums(raw)
  n_compressed <- if (attr(d$Y, "transformed")) {
    sum(apply(shares, 1L, function(r) any(r < trafo | r > 1 - trafo)))
  } else {
    0L
  }
  # DirichReg() inspects its call, so the formula is put into the call itself.
  call_args <- list(formula = as.formula(cs$r_formula), data = quote(d),
                    model = cs$parametrization, control = ctrl)
  if (cs$parametrization == "alternative") call_args$base <- match(cs$base, comps)
  m <- do.call("DirichReg", call_args)
  coefnames <- names(m$coefficients)
  mu <- fitted(m, mu = TRUE, alpha = FALSE, phi = FALSE)
  res_std <- residuals(m, type = "standardized")
  list(
    id = cs$id,
    parametrization = m$parametrization,
    base = if (cs$parametrization == "alternative") cs$base else NA,
    nobs = nrow(d),
    n_compressed = n_compressed,
    normalized = attr(d$Y, "normalized"),
    transformed = attr(d$Y, "transformed"),
    llf = as.numeric(m$logLik),
    npar = m$npar,
    equation = sub(":.*$", "", coefnames),
    term = sub("^[^:]*:", "", coefnames),
    coef = unname(m$coefficients),
    se = unname(m$se),
    fitted_mu_head = unname(split(unname(mu[1:5, ]), seq_len(5))),
    resid_standardized_head = unname(split(unname(res_std[1:5, ]), seq_len(5))),
    convergence_code = m$optimization$convergence,
    convergence_message = m$optimization$message,
    nr_iterations = m$optimization$iterations,
    bfgs_iterations = unname(m$optimization$bfgs.it)
  )
}

out <- list(
  meta = list(
    generator = "fit_reference.R",
    r_version = paste(R.version$major, R.version$minor, sep = "."),
    DirichletReg = as.character(packageVersion("DirichletReg")),
    maxLik = as.character(packageVersion("maxLik")),
    Formula = as.character(packageVersion("Formula")),
    control = ctrl
  ),
  cases = lapply(cases, fit_case)
)

write_json(out, file.path(here, "reference_values.json"), digits = I(17), auto_unbox = TRUE,
           pretty = TRUE)
cat("wrote reference_values.json with", length(out$cases), "cases\n")
