"""Simulated studies: the population model and its draws."""

from .design import DEFAULT_BETA_MARKETING, DEFAULT_BETA_SELF, StudyDesign
from .simulate import Simulation, Truth, heap_percents, simulate, simulate_frame

__all__ = [
    "DEFAULT_BETA_MARKETING",
    "DEFAULT_BETA_SELF",
    "Simulation",
    "StudyDesign",
    "Truth",
    "heap_percents",
    "simulate",
    "simulate_frame",
]
