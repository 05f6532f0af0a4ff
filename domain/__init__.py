"""Framework-free core of Værn: cases, evidence and the rules of the guideline. No botbuilder imports."""
