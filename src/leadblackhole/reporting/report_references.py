"""The report's reference list: every work its text cites, and the study.

:data:`REFERENCES` pairs each entry with the pattern of its citation in the
report's text (an author pair, a method's name); :func:`references_section`
lists the entries whose pattern occurs in the report as assembled so far, so the
list never names a work the text does not use.
"""

from __future__ import annotations

import re

__all__ = ["REFERENCES", "cited_references", "references_section"]

#: (pattern of the citation in the text, the reference), in alphabetical order. A pattern is
#: the citation itself (``Cinelli & Hazlett``) or the name of the method as the report's
#: text and tables write it (``HC3``, ``Cook's distance``); an entry is listed only when
#: its pattern occurs, so a report without the corrected models cites none of their works.
REFERENCES: tuple[tuple[str, str], ...] = (
    (
        r"Ai & Norton",
        "Ai, C., & Norton, E. C. (2003). Interaction terms in logit and probit models. "
        "*Economics Letters*, 80(1), 123–129. https://doi.org/10.1016/S0165-1765(03)00032-6",
    ),
    (
        r"\bBH\b|Benjamini",
        "Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: A "
        "practical and powerful approach to multiple testing. *Journal of the Royal "
        "Statistical Society: Series B*, 57(1), 289–300.",
    ),
    (
        r"Blair, Cooper",
        "Blair, G., Cooper, J., Coppock, A., & Humphreys, M. (2019). Declaring and diagnosing "
        "research designs. *American Political Science Review*, 113(3), 838–859. "
        "https://doi.org/10.1017/S0003055419000194",
    ),
    (
        r"regression-calibrat|[Rr]egression calibration",
        "Carroll, R. J., Ruppert, D., Stefanski, L. A., & Crainiceanu, C. M. (2006). "
        "*Measurement error in nonlinear models: A modern perspective* (2nd ed.). "
        "Chapman & Hall/CRC.",
    ),
    (
        r"Cinelli & Hazlett",
        "Cinelli, C., & Hazlett, C. (2020). Making sense of sensitivity: Extending omitted "
        "variable bias. *Journal of the Royal Statistical Society: Series B*, 82(1), 39–67. "
        "https://doi.org/10.1111/rssb.12348",
    ),
    (
        r"Cook's distance",
        "Cook, R. D. (1977). Detection of influential observation in linear regression. "
        "*Technometrics*, 19(1), 15–18. https://doi.org/10.1080/00401706.1977.10489493",
    ),
    (
        r"Cronbach",
        "Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. "
        "*Psychometrika*, 16(3), 297–334. https://doi.org/10.1007/BF02310555",
    ),
    (
        r"Bootstrap intervals|bootstrap of both steps",
        "Efron, B., & Tibshirani, R. J. (1993). *An introduction to the bootstrap*. "
        "Chapman & Hall/CRC.",
    ),
    (
        r"Esarey",
        "Esarey, J., & Sumner, J. L. (2018). Marginal effects in interaction models: "
        "Determining and controlling the false positive rate. *Comparative Political "
        "Studies*, 51(9), 1144–1170. https://doi.org/10.1177/0010414017730080",
    ),
    (
        r"Feldt",
        "Feldt, L. S. (1965). The approximate sampling distribution of Kuder–Richardson "
        "reliability coefficient twenty. *Psychometrika*, 30(3), 357–370. "
        "https://doi.org/10.1007/BF02289499",
    ),
    (
        r"Fornell",
        "Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with "
        "unobservable variables and measurement error. *Journal of Marketing Research*, "
        "18(1), 39–50. https://doi.org/10.1177/002224378101800104",
    ),
    (
        r"inverse Mills|Heckman",
        "Heckman, J. J. (1979). Sample selection bias as a specification error. "
        "*Econometrica*, 47(1), 153–161. https://doi.org/10.2307/1912352",
    ),
    (
        r"systemfit",
        "Henningsen, A., & Hamann, J. D. (2007). systemfit: A package for estimating systems "
        "of simultaneous equations in R. *Journal of Statistical Software*, 23(4), 1–40. "
        "https://doi.org/10.18637/jss.v023.i04",
    ),
    (
        r"HTMT",
        "Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing "
        "discriminant validity in variance-based structural equation modeling. *Journal of "
        "the Academy of Marketing Science*, 43(1), 115–135. "
        "https://doi.org/10.1007/s11747-014-0403-8",
    ),
    (
        r"\bHolm\b",
        "Holm, S. (1979). A simple sequentially rejective multiple test procedure. "
        "*Scandinavian Journal of Statistics*, 6(2), 65–70.",
    ),
    (
        r"Johnson–Neyman",
        "Johnson, P. O., & Neyman, J. (1936). Tests of certain linear hypotheses and their "
        "application to some educational problems. *Statistical Research Memoirs*, 1, 57–93.",
    ),
    (
        r"marker scale",
        "Lindell, M. K., & Whitney, D. J. (2001). Accounting for common method variance in "
        "cross-sectional research designs. *Journal of Applied Psychology*, 86(1), 114–121. "
        "https://doi.org/10.1037/0021-9010.86.1.114",
    ),
    (
        r"\bHC3\b",
        "MacKinnon, J. G., & White, H. (1985). Some heteroskedasticity-consistent covariance "
        "matrix estimators with improved finite sample properties. *Journal of "
        "Econometrics*, 29(3), 305–325. https://doi.org/10.1016/0304-4076(85)90158-7",
    ),
    (
        r"Dirichlet",
        "Maier, M. J. (2014). DirichletReg: Dirichlet regression for compositional data in "
        "R. Research Report Series, Report 125, Institute for Statistics and Mathematics, WU "
        "Vienna University of Economics and Business.",
    ),
    (
        r"two-step sandwich",
        "Newey, W. K., & McFadden, D. (1994). Large sample estimation and hypothesis testing. "
        "In R. F. Engle & D. L. McFadden (Eds.), *Handbook of Econometrics* (Vol. 4, "
        "pp. 2111–2245). Elsevier. https://doi.org/10.1016/S1573-4412(05)80005-4",
    ),
    (
        r"[Ff]ractional logit",
        "Papke, L. E., & Wooldridge, J. M. (1996). Econometric methods for fractional "
        "response variables with an application to 401(k) plan participation rates. "
        "*Journal of Applied Econometrics*, 11(6), 619–632.",
    ),
    (
        r"[Cc]ommon-method",
        "Podsakoff, P. M., MacKenzie, S. B., Lee, J.-Y., & Podsakoff, N. P. (2003). Common "
        "method biases in behavioral research: A critical review of the literature and "
        "recommended remedies. *Journal of Applied Psychology*, 88(5), 879–903. "
        "https://doi.org/10.1037/0021-9010.88.5.879",
    ),
    (
        r"Sabnis",
        "Sabnis, G., Chatterjee, S. C., Grewal, R., & Lilien, G. L. (2013). The sales lead "
        "black hole: On sales reps' follow-up of marketing leads. *Journal of Marketing*, "
        "77(1), 52–67. https://doi.org/10.1509/jm.10.0047",
    ),
    (
        r"\bHC0\b",
        "White, H. (1980). A heteroskedasticity-consistent covariance matrix estimator and a "
        "direct test for heteroskedasticity. *Econometrica*, 48(4), 817–838. "
        "https://doi.org/10.2307/1912934",
    ),
    (
        r"method factor",
        "Williams, L. J., Hartman, N., & Cavazotte, F. (2010). Method variance and marker "
        "variables: A review and comprehensive CFA marker technique. *Organizational "
        "Research Methods*, 13(3), 477–514. https://doi.org/10.1177/1094428110366036",
    ),
    (
        r"[Cc]ontrol function",
        "Wooldridge, J. M. (2015). Control function methods in applied econometrics. "
        "*Journal of Human Resources*, 50(2), 420–445. https://doi.org/10.3368/jhr.50.2.420",
    ),
    (
        r"\bSUR\b",
        "Zellner, A. (1962). An efficient method of estimating seemingly unrelated "
        "regressions and tests for aggregation bias. *Journal of the American Statistical "
        "Association*, 57(298), 348–368. https://doi.org/10.1080/01621459.1962.10480664",
    ),
)


def cited_references(text: str) -> list[str]:
    """The references whose citation occurs in ``text``, in :data:`REFERENCES` order.

    Examples
    --------
    >>> [r.split(",")[0] for r in cited_references("Sabnis et al.; Ai & Norton 2003")]
    ['Ai', 'Sabnis']
    """
    return [ref for pattern, ref in REFERENCES if re.search(pattern, text)]


def references_section(text: str) -> list[str]:
    """The ``## References`` section of a report whose Markdown so far is ``text``."""
    refs = cited_references(text)
    if not refs:
        return []
    return ["## References", "", *(f"- {ref}" for ref in refs), ""]
