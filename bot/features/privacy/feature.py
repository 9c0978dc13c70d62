"""Erasure (/xoadulieu): runs every feature's declared eraser in one transaction."""

from bot.kernel.feature import Feature

FEATURE = Feature(name="privacy", catalog="core")
