# Times R's DirichletReg on the data of bench_dirichlet.py
# (data/bench_dirichlet.csv, written by that script).
#
# Requires the DirichletReg package to be installed in R's library path.
# Run from any folder:  Rscript benchmarks/bench_dirichlet.R [repeats]

suppressPackageStartupMessages(library(DirichletReg))

script_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
here <- if (length(script_arg)) dirname(normalizePath(sub("^--file=", "", script_arg[1L]))) else "."
args <- commandArgs(trailingOnly = TRUE)
repeats <- if (length(args)) as.integer(args[1L]) else 3L

d <- read.csv(file.path(here, "data", "bench_dirichlet.csv"), stringsAsFactors = TRUE)
fit_once <- function() {
  d$Y <- suppressWarnings(DR_data(d[, c("marketing", "self", "other")]))
  # DirichReg() inspects its call, so the formula is written out in it.
  m <- DirichReg(Y ~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + firm +
                   x1:x2 + x1:x3 + x2:x3 + x4:x5 + x1:x6 + x7:x8,
                 d, model = "alternative", base = 3L)
  se <- m$se
  m
}

invisible(fit_once())  # warm-up (byte compilation, loading)
times <- numeric(repeats)
for (i in seq_len(repeats)) {
  times[i] <- system.time(m <- fit_once())[["elapsed"]]
}
cat(sprintf("R %s, DirichletReg %s\n", paste(R.version$major, R.version$minor, sep = "."),
            as.character(packageVersion("DirichletReg"))))
cat(sprintf("llf %.6f, npar %d, BFGS iterations %d, NR iterations %d (%s)\n",
            m$logLik, m$npar, m$optimization$bfgs.it, m$optimization$iterations,
            m$optimization$message))
cat(sprintf("DR_data + DirichReg, median of %d: %.1f ms (all: %s)\n", repeats,
            1000 * median(times), paste(sprintf("%.0f", 1000 * times), collapse = ", ")))
