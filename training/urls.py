from django.urls import path

from training import views

urlpatterns = [
    path("training/", views.index, name="training"),
    path("training/exports/", views.new_export, name="training_new_export"),
    path("training/runs/", views.new_run, name="training_new_run"),
    path("training/runs/<int:run_id>/", views.run_detail, name="training_run"),
    path("training/runs/<int:run_id>/cancel/", views.cancel_run, name="training_cancel_run"),
    path("training/runs/<int:run_id>/next-round/", views.next_round, name="training_next_round"),
    path("training/runs/<int:run_id>/curves.png", views.run_curves, name="training_run_curves"),
    path("training/runs/<int:run_id>/download/", views.download_run, name="training_download_run"),
    path("training/exports/<int:export_id>/download/", views.download_export, name="training_download_export"),
    path("training/study/", views.study_report, name="training_study"),
    path("training/study/plots/<str:name>", views.study_plot, name="training_study_plot"),
]
