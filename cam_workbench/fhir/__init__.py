"""FHIR: the screening as a Questionnaire, a patient's answers as a QuestionnaireResponse."""
