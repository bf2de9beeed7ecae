# Times R's DirichletReg on the rows of bench_main_model.py (data/main_model.csv,
# written by that script): the study's main model on the default simulated data.
#
# Requires the DirichletReg package to be installed in R's library path.
# Run:  Rscript benchmarks/bench_main_model.R [repeats]

suppressPackageStartupMessages(library(DirichletReg))

script_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
here <- if (length(script_arg)) dirname(normalizePath(sub("^--file=", "", script_arg[1L]))) else "."
args <- commandArgs(trailingOnly = TRUE)
repeats <- if (length(args)) as.integer(args[1L]) else 5L

d <- read.csv(file.path(here, "data", "main_model.csv"))
fit_once <- function() {
  d$Y <- suppressWarnings(DR_data(d[, c("marketing", "self", "other")]))
  m <- DirichReg(Y ~ firm_B + firm_C + firm_D + prequal + tracking + volume + experience +
                   performance + variable_pay + experience_x_prequal + experience_x_tracking +
                   experience_x_volume + performance_x_prequal + performance_x_tracking +
                   performance_x_volume | 1,
                 d, model = "alternative", base = 3L)
  se <- m$se
  m
}

invisible(fit_once())
times <- numeric(repeats)
for (i in seq_len(repeats)) {
  times[i] <- system.time(m <- fit_once())[["elapsed"]]
}
cat(sprintf("R %s, DirichletReg %s\n", paste(R.version$major, R.version$minor, sep = "."),
            as.character(packageVersion("DirichletReg"))))
cat(sprintf("llf %.6f, npar %d\n", m$logLik, m$npar))
cat(sprintf("DR_data + DirichReg, median of %d: %.1f ms\n", repeats, 1000 * median(times)))
