"""Token arithmetic: sizing pages for the model and packing them into requests."""
