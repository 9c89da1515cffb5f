"""Training objectives for energy-based models: callables ``objective(model, batch, *, generator) -> LossOutput``."""
from .base import LossOutput
from .contrastive import ContrastiveDivergence, contrastive_divergence_loss
from .jem import JEMObjective
from .margin import MarginLoss, hinge_loss, log_loss, most_offending_incorrect, square_square_loss
from .nce import NCE, InfoNCE, info_nce_loss, nce_loss
from .score_matching import (ScoreMatching, denoising_score_matching_loss, exact_score_matching_loss,
                             noise_conditional_dsm_loss, sliced_score_matching_loss)

__all__ = ["LossOutput", "contrastive_divergence_loss", "ContrastiveDivergence", "exact_score_matching_loss",
           "sliced_score_matching_loss", "denoising_score_matching_loss", "noise_conditional_dsm_loss",
           "ScoreMatching", "nce_loss", "NCE", "info_nce_loss", "InfoNCE", "most_offending_incorrect", "hinge_loss",
           "log_loss", "square_square_loss", "MarginLoss", "JEMObjective"]
