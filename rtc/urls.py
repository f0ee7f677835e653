app_name = "rtc"
urlpatterns: list = []
