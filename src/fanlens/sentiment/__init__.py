"""Comment intelligence: sentiment, language, questions and corrections of text interactions."""
