"""Training objectives for energy-based models."""
from .contrastive import ContrastiveDivergence, LossOutput, contrastive_divergence_loss

__all__ = ["LossOutput", "contrastive_divergence_loss", "ContrastiveDivergence"]
