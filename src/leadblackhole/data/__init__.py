"""Input contract: schema, codebooks, loading, validation and the analysis frame."""

from .codebook import Codebook, ScaleSpec, load_codebook
from .extra import attach_extra_columns
from .frame import AnalysisFrame, build_analysis_frame, compress_shares
from .loader import Survey, load_survey, read_table, validate_survey
from .schema import extra_name_problem
from .source import DataSource, data_source, marker_path, simulation_marker

__all__ = [
    "AnalysisFrame",
    "Codebook",
    "DataSource",
    "ScaleSpec",
    "Survey",
    "attach_extra_columns",
    "build_analysis_frame",
    "compress_shares",
    "extra_name_problem",
    "data_source",
    "load_codebook",
    "load_survey",
    "marker_path",
    "read_table",
    "simulation_marker",
    "validate_survey",
]
