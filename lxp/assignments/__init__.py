"""Learning the organisation asks for: assignments with due dates and recertification, and
the organisation units they can target."""
