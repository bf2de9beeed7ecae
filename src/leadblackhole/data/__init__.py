"""Input contract: schema, codebooks, loading, validation and the analysis frame."""

from .codebook import DEFAULT_RANGE, Codebook, ScaleSpec, load_codebook
from .extra import attach_extra_columns
from .frame import AnalysisFrame, assemble_frame, build_analysis_frame, compress_shares
from .loader import REVERSED_MARK, Survey, load_survey, validate_survey
from .reader import read_table
from .sample import (
    check_analysis_sample,
    exclusion_reasons,
    exclusion_table,
    has_marketing_time,
    zero_marketing_reason,
)
from .schema import extra_name_problem
from .source import DataSource, data_source, marker_path, simulation_marker
from .variables import (
    ANALYSIS_VARIABLES,
    centring_means,
    derived_variables,
    reported_shares,
    scale_scores,
    uses_variable_pay,
)

__all__ = [
    "ANALYSIS_VARIABLES",
    "DEFAULT_RANGE",
    "REVERSED_MARK",
    "AnalysisFrame",
    "Codebook",
    "DataSource",
    "ScaleSpec",
    "Survey",
    "assemble_frame",
    "attach_extra_columns",
    "build_analysis_frame",
    "centring_means",
    "check_analysis_sample",
    "compress_shares",
    "data_source",
    "derived_variables",
    "exclusion_reasons",
    "exclusion_table",
    "extra_name_problem",
    "has_marketing_time",
    "load_codebook",
    "load_survey",
    "marker_path",
    "read_table",
    "reported_shares",
    "scale_scores",
    "simulation_marker",
    "uses_variable_pay",
    "validate_survey",
    "zero_marketing_reason",
]
