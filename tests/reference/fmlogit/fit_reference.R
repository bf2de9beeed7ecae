# Reference values of the fractional multinomial logit, computed with R.
#
# Reads datasets.json and the CSV files written by make_datasets.py (next to
# this script) and writes reference_values.json. Run from any folder:
#
#     Rscript tests/reference/fmlogit/fit_reference.R
#
# Packages: nnet, jsonlite.
#
# For each case:
#   coef       nnet::multinom(Y ~ RHS) with Y the share matrix (columns
#              other, marketing, self: multinom's first column is the base),
#              reltol = 1e-16, abstol = 1e-300, maxit = 100000. multinom
#              minimizes -sum_ik y_ik log p_ik, the negative multinomial
#              quasi-log-likelihood, so `value` is -llf.
#   hc0_se     The HC0 sandwich written out here with explicit matrix algebra
#              (independent of the Python code): with mu_i the fitted shares,
#              s_i = (y_i - mu_i)[marketing, self] (x) x_i,
#              A = sum_i (diag(mu_i) - mu_i mu_i')[m,s block] (x) x_i x_i',
#              V = A^-1 (sum_i s_i s_i') A^-1  (no small-sample factor).
#   model_se   sqrt(diag(A^-1)), the model-based (non-robust) covariance.
#   max_abs_score  the largest element of sum_i s_i at multinom's estimate
#              (how close BFGS came to the maximum).

suppressPackageStartupMessages({
  library(nnet)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else getwd()

meta <- fromJSON(file.path(here, "datasets.json"), simplifyVector = FALSE)

to_package <- function(names, terms) {
  names[names == "(Intercept)"] <- "Intercept"
  names <- sub("^firm(.+)$", "firm[T.\\1]", names)
  out <- names
  for (j in seq_along(names)) {
    if (!(names[j] %in% terms) && grepl(":", names[j])) {
      parts <- strsplit(names[j], ":")[[1]]
      swapped <- paste(rev(parts), collapse = ":")
      if (swapped %in% terms) out[j] <- swapped
    }
  }
  stopifnot(all(out %in% terms))
  out
}

results <- list()
for (case in names(meta)) {
  info <- meta[[case]]
  terms <- unlist(info$terms)
  d <- read.csv(file.path(here, info$file), stringsAsFactors = FALSE)
  d$firm <- factor(d$firm, levels = sort(unique(d$firm)))
  rhs <- "firm + prequal + tracking + volume + experience + performance"
  if ("variable_pay" %in% names(d)) rhs <- paste(rhs, "+ variable_pay")
  rhs <- paste(rhs, "+ experience:prequal + experience:tracking + experience:volume",
               "+ performance:prequal + performance:tracking + performance:volume")
  Y <- as.matrix(d[, c("other", "marketing", "self")])
  fit <- multinom(as.formula(paste("Y ~", rhs)), data = d, reltol = 1e-16,
                  abstol = 1e-300, maxit = 100000, trace = FALSE)
  B <- coef(fit)                     # 2 x p, rows marketing, self
  X <- model.matrix(as.formula(paste("~", rhs)), data = d)
  stopifnot(identical(colnames(X), colnames(B)))
  pkg_terms <- to_package(colnames(X), terms)
  # --- the sandwich, by hand ---
  eta <- cbind(0, X %*% t(B))       # other, marketing, self
  mu <- exp(eta - apply(eta, 1, max))
  mu <- mu / rowSums(mu)
  y <- Y / rowSums(Y)
  n <- nrow(X); p <- ncol(X)
  e <- y[, 2:3] - mu[, 2:3]
  S <- cbind(e[, 1] * X, e[, 2] * X)  # n x 2p, equation by equation
  A <- matrix(0, 2 * p, 2 * p)
  for (i in seq_len(n)) {
    m <- mu[i, 2:3]
    W <- diag(m) - tcrossprod(m)
    A <- A + kronecker(W, tcrossprod(X[i, ]))
  }
  Ainv <- solve(A)
  V <- Ainv %*% crossprod(S) %*% Ainv
  llf <- sum(ifelse(y > 0, y * log(mu), 0))
  labels <- c(paste0("marketing|", pkg_terms), paste0("self|", pkg_terms))
  results[[case]] <- list(
    params = setNames(as.list(c(B[1, ], B[2, ])), labels),
    hc0_se = setNames(as.list(sqrt(diag(V))), labels),
    model_se = setNames(as.list(sqrt(diag(Ainv))), labels),
    llf = llf,
    multinom_value = fit$value,
    max_abs_score = max(abs(colSums(S))),
    converged = fit$convergence == 0,
    nobs = n
  )
}

results[["_meta"]] <- list(
  R = R.version.string,
  nnet = as.character(packageVersion("nnet")),
  jsonlite = as.character(packageVersion("jsonlite")),
  date = format(Sys.Date()),
  script = "fit_reference.R"
)
writeLines(toJSON(results, auto_unbox = TRUE, digits = 15, pretty = TRUE),
           file.path(here, "reference_values.json"))
