# qgc-check-expect: verdict=error
# The script never imports a Qt binding, so there is no Qt application to check.
print("hello")
