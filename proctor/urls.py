app_name = "proctor"
urlpatterns: list = []
