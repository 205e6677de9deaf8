from rest_framework.routers import SimpleRouter

from .api import QuestionViewSet, SurveyLinkViewSet, SurveyResponseViewSet

router = SimpleRouter()
router.register("survey-links", SurveyLinkViewSet, basename="survey-link")
router.register("survey-responses", SurveyResponseViewSet, basename="survey-response")
router.register("survey-questions", QuestionViewSet, basename="survey-question")
urlpatterns = router.urls
