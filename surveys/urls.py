from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("", views.home, name="home"),
    path("visits/", views.visit_list, name="visits"),
    # The engineer's hand-off for one visit: QR, SMS link, or the customer on the engineer's
    # phone with an SMS code (R23). Linked from the visit page as surveys:handoff <visit pk>.
    path("visit/<int:pk>/", views.handoff, name="handoff"),
    path("visit/<int:pk>/status/", views.handoff_status, name="handoff_status"),
    path("visit/<int:pk>/issue/", views.issue, name="issue"),
    path("visit/<int:pk>/card/", views.card, name="card"),
    # The customer's page: public, the single-use token is the only key.
    path("s/<str:token>/", views.customer, name="customer"),
    path("results/", views.results, name="results"),
    path("results/comments/", views.comment_list, name="comments"),
    path("responses/<int:pk>/", views.response_detail, name="response"),
    path("responses/<int:pk>/signature.png", views.signature_png, name="signature"),
    path("questions/", views.question_list, name="questions"),
    path("questions/new/", views.question_edit, name="question_new"),
    path("questions/<int:pk>/", views.question_edit, name="question_edit"),
]
