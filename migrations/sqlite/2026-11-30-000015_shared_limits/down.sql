DROP TABLE login_throttle;
DROP TABLE limit_windows;
