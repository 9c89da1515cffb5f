"""Training objectives for energy-based models: callables ``objective(model, batch, *, generator) -> LossOutput``."""
from .base import LossOutput
from .contrastive import ContrastiveDivergence, contrastive_divergence_loss
from .score_matching import (ScoreMatching, denoising_score_matching_loss, exact_score_matching_loss,
                             noise_conditional_dsm_loss, sliced_score_matching_loss)

__all__ = ["LossOutput", "contrastive_divergence_loss", "ContrastiveDivergence", "exact_score_matching_loss",
           "sliced_score_matching_loss", "denoising_score_matching_loss", "noise_conditional_dsm_loss",
           "ScoreMatching"]
