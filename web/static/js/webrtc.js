// Helpers shared by the pages that open WebRTC connections (exam, proctor dashboard, lesson).
"use strict";

window.classroomRtc = {
  // Resolve once ICE gathering is complete (our signalling is non-trickle), or after timeoutMs.
  iceComplete(pc, timeoutMs = 4000) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { pc.removeEventListener("icegatheringstatechange", check); resolve(); };
      const check = () => { if (pc.iceGatheringState === "complete") done(); };
      pc.addEventListener("icegatheringstatechange", check);
      setTimeout(done, timeoutMs);
    });
  },
};
