# Fixtures for domain/statistics/mann-whitney.ts: R's two-sample wilcox.test(x, y, conf.int = TRUE)
# (all other arguments at R's defaults) on fixed samples, printed as JSON.
#
#   Rscript scripts/statistics/wilcox-fixtures.R > test/fixtures/statistics/wilcox.json &&
#     npx prettier --write test/fixtures/statistics/wilcox.json
#
# Random samples come from R's own generator under set.seed, and the JSON carries every value at
# full precision, so the TypeScript test needs no R. Warnings R gives are kept with each case.

num <- function(v, array = FALSE) {
  if (length(v) == 0) return("[]")
  s <- ifelse(is.na(v), "null", ifelse(is.infinite(v), ifelse(v > 0, "\"Infinity\"", "\"-Infinity\""),
                                       sprintf("%.17g", v)))
  if (length(v) == 1 && !array) s else paste0("[", paste(s, collapse = ", "), "]")
}
str <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
strs <- function(v) paste0("[", paste(vapply(v, str, ""), collapse = ", "), "]")

fixture <- function(name, x, y, conf.level = 0.95) {
  warnings <- character(0)
  r <- withCallingHandlers(
    wilcox.test(x, y, conf.int = TRUE, conf.level = conf.level),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  paste0(
    "    {\n",
    "      \"name\": ", str(name), ",\n",
    "      \"x\": ", num(x, array = TRUE), ",\n",
    "      \"y\": ", num(y, array = TRUE), ",\n",
    "      \"confLevel\": ", num(conf.level), ",\n",
    "      \"method\": ", str(r$method), ",\n",
    "      \"statistic\": ", num(unname(r$statistic)), ",\n",
    "      \"pValue\": ", num(r$p.value), ",\n",
    "      \"estimate\": ", num(unname(r$estimate)), ",\n",
    "      \"confInt\": [", paste(num(r$conf.int[1]), num(r$conf.int[2]), sep = ", "), "],\n",
    "      \"achievedConfLevel\": ", num(attr(r$conf.int, "conf.level")), ",\n",
    "      \"warnings\": ", strs(unique(warnings)), "\n",
    "    }"
  )
}

cases <- list()
add <- function(...) cases[[length(cases) + 1]] <<- fixture(...)

# Exact (both n < 50, no ties).
add("exact: R's two-sample example (?wilcox.test), x shifted up",
    c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46), c(1.15, 0.88, 0.90, 0.74, 1.21))
add("exact: interleaved, no shift", c(1.1, 3.2, 5.3, 7.4, 9.5, 11.6), c(2.05, 4.15, 6.25, 8.35, 10.45, 12.55))
add("exact: negative values, x shifted down",
    c(-5.2, -4.1, -6.3, -3.9, -7.0, -5.8, -4.4), c(-2.1, -3.3, -1.7, -2.9, -0.4, -3.6, -1.2, -2.4))
add("exact: different sizes 3 vs 12", c(10.2, 11.7, 9.4), c(8.1, 9.9, 7.3, 10.8, 6.6, 9.1, 8.8, 7.7, 10.1, 9.6, 8.3, 7.9))
add("exact: completely separated 10 vs 10", 20 + (1:10) / 7, (1:10) / 3)
add("exact: one sample each (conf.level not achievable)", 2.5, 1)
add("exact: 2 vs 3", c(4.1, 5.3), c(1.2, 2.6, 3.3))
add("exact: conf.level 0.9", c(12.1, 14.3, 11.8, 15.2, 13.7, 12.9, 14.8, 13.1), c(11.2, 12.4, 10.9, 13.3, 11.6, 12.0, 10.4),
    conf.level = 0.9)
add("exact: conf.level 0.99", c(12.1, 14.3, 11.8, 15.2, 13.7, 12.9, 14.8, 13.1), c(11.2, 12.4, 10.9, 13.3, 11.6, 12.0, 10.4),
    conf.level = 0.99)
set.seed(20240601)
add("exact: 49 vs 49 from rnorm, shift 0.4", rnorm(49, 10.4), rnorm(49, 10))

# Normal approximation: ties.
add("normal (ties): small, x shifted up", c(3, 4, 4, 5, 6, 6, 7), c(1, 2, 2, 3, 4, 4))
add("normal (ties): statistic exactly at its mean (no continuity correction)", c(1, 2, 3, 3), c(1, 2, 3, 3))
add("normal (ties): y all equal", c(4.8, 5.1, 5.6, 4.9, 5.3, 6.0, 5.0, 5.5), rep(5, 10))
set.seed(7)
add("normal (ties): Poisson counts 40 vs 45, conf.level 0.99", rpois(40, 6), rpois(45, 4), conf.level = 0.99)
add("normal (ties): negative values rounded to 0.5",
    round(2 * c(-3.2, -1.1, -2.7, -0.4, -1.9, -2.2, -3.8, -1.5, -0.9)) / 2, round(2 * c(-1.0, 0.3, -0.6, 0.9, -1.4, 0.1)) / 2)

# Normal approximation: n >= 50.
set.seed(11)
add("normal (n >= 50): 50 vs 50, shift 0.5", rnorm(50, 0.5), rnorm(50))
set.seed(12)
add("normal (n >= 50): 60 vs 45, no shift, conf.level 0.9", rnorm(60, 3), rnorm(45, 3), conf.level = 0.9)
set.seed(13)
add("normal (n >= 50): completely separated 60 vs 60", runif(60, 10, 11), runif(60, 0, 1))
set.seed(14)
add("normal (n >= 50): latency-like 300 vs 300, canary 10 % slower",
    0.2 * 1.1 * exp(rnorm(300, 0, 0.05)), 0.2 * exp(rnorm(300, 0, 0.05)))
set.seed(15)
add("normal (n >= 50): small scale (1e-3) where tol.root = 1e-4 is coarse", rnorm(80, 2.2e-3, 3e-4), rnorm(80, 2e-3, 3e-4))

cat("{\n")
cat("  \"rVersion\": ", str(R.version.string), ",\n", sep = "")
cat("  \"call\": \"wilcox.test(x, y, conf.int = TRUE, conf.level = confLevel)\",\n")
cat("  \"generatedBy\": \"Rscript scripts/statistics/wilcox-fixtures.R\",\n")
cat("  \"cases\": [\n")
cat(paste(unlist(cases), collapse = ",\n"), "\n", sep = "")
cat("  ]\n}\n")
