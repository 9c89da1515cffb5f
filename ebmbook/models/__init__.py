"""Learned energy models: Hopfield networks (classical, dense, modern)."""
from .hopfield import DenseAssociativeMemory, Hopfield, ModernHopfield, RecallResult, overlap

__all__ = ["Hopfield", "DenseAssociativeMemory", "ModernHopfield", "RecallResult", "overlap"]
