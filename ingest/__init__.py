"""placeholder until filled in this session."""
