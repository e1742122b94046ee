// Stands in for a third-party ad tag: it must only run after marketing consent.
window.demoPixelLoaded = (window.demoPixelLoaded || 0) + 1;
