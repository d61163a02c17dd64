"""Pure renderers: compiled data in, Block Kit / Word / Excel / HTML / Markdown / PNG out."""
