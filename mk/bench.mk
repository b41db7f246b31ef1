bench:
	@echo "bench: not written yet"
