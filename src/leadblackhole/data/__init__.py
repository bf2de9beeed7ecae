"""Input contract: schema, codebooks, loading, validation and the analysis frame."""

from .codebook import Codebook, ScaleSpec, load_codebook
from .frame import AnalysisFrame, build_analysis_frame, compress_shares
from .loader import Survey, load_survey, read_table, validate_survey

__all__ = [
    "AnalysisFrame",
    "Codebook",
    "ScaleSpec",
    "Survey",
    "build_analysis_frame",
    "compress_shares",
    "load_codebook",
    "load_survey",
    "read_table",
    "validate_survey",
]
