"""Training objectives for energy-based models: callables ``objective(model, batch, *, generator) -> LossOutput``."""
from .base import LossOutput
from .contrastive import ContrastiveDivergence, contrastive_divergence_loss

__all__ = ["LossOutput", "contrastive_divergence_loss", "ContrastiveDivergence"]
