// Prompt library tools: regenerate Vietnamese prompt WAVs from their text (espeak-ng + sox).
