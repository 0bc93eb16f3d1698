"""Line managers: reporting lines and the "My team" view of their direct reports."""
