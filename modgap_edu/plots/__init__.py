"""Figures and widgets: the shared style, live figures, sliders, one module per lesson."""
