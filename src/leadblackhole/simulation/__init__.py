"""Simulated studies: the population model and its draws."""

from .design import DEFAULT_BETA_MARKETING, DEFAULT_BETA_SELF, StudyDesign
from .simulate import (
    Simulation,
    StudyDraw,
    Truth,
    draw_study,
    heap_percents,
    population_truth,
    simulate,
)

__all__ = [
    "DEFAULT_BETA_MARKETING",
    "DEFAULT_BETA_SELF",
    "Simulation",
    "StudyDraw",
    "StudyDesign",
    "Truth",
    "draw_study",
    "heap_percents",
    "population_truth",
    "simulate",
]
