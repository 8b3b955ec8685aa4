// Same origin: grow the report's frame to its content, so the page scrolls once, not twice.
document.getElementById("report").addEventListener("load", function () {
  this.style.height = (this.contentDocument.documentElement.scrollHeight + 20) + "px";
});
