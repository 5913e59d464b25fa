"""Generation backends behind one ``Generator`` protocol."""
