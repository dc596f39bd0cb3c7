"""Getting articles in: readers for each input format, scraped-page splitting, chunking, the pipeline."""
