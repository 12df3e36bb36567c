// Enrolment: take a snapshot with the camera and post it as the photo (same form, same CSRF).
(function () {
  "use strict";
  var box = document.querySelector("[data-enrol-camera]");
  var form = document.getElementById("enrol-form");
  if (!box || !form || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var video = box.querySelector("video");
  var start = box.querySelector("[data-enrol-start]");
  var snap = box.querySelector("[data-enrol-snap]");
  var status = box.querySelector("[data-enrol-status]");

  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720, facingMode: "user" } })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        snap.hidden = false;
        start.hidden = true;
      })
      .catch(function () { status.textContent = box.getAttribute("data-label-failed"); });
  });

  snap.addEventListener("click", function () {
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob(function (blob) {
      if (!blob) return;
      // Put the snapshot in the file input and submit the ordinary form.
      var transfer = new DataTransfer();
      transfer.items.add(new File([blob], "camera.jpg", { type: "image/jpeg" }));
      form.querySelector('input[type="file"]').files = transfer.files;
      (video.srcObject.getTracks() || []).forEach(function (track) { track.stop(); });
      form.submit();
    }, "image/jpeg", 0.92);
  });
})();
