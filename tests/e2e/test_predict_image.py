"""POST /v1/models/{digits_image,shapes}:predict (issue 4): images as
{"b64": ...} JSON instances, multipart/form-data uploads (one and several
files) and a raw image/png body, checked against PyTorch goldens; a corrupt
image answered in place with its own error; a decompression bomb refused.

Goldens (examples/digits_image.py, examples/shapes.py): PNG test pictures
under goldens/images and the predictions PyTorch (with NMS in Python) makes
on them: goldens/digits_image_predictions.json and
goldens/shapes_predictions.json. Labels must match exactly, scores within
1e-4 and box corners within 0.05 pixels (the pictures are chosen so that
inferd's resize is exact, see the example modules).
"""

import base64
import json
import os
import shutil
import tempfile
import unittest
import uuid

from .inferd_server import ServerTestCase, examples_dir, model_repository

SCORE_TOL = 1e-4
BOX_TOL = 0.05

# goldens/images/digit_0_label_9.png (32 x 32 grey) as a baseline JPEG,
# written by OpenCV's imencode at quality 90: 739 bytes. Python's standard
# library has no JPEG encoder, so the file is kept here.
DIGIT_0_JPEG = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4R"
    "DgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/wAALCAAgACABAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcI"
    "CQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcY"
    "GRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKj"
    "pKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/APz0"
    "+DPwZ/4W5/bH/E4/sn+z/J/5dfO8zzN/+2uMbPfrX7E658c/+GSPI/4kn/CV/wDCQbv+Xv7H9n8jH+xJu3ef7Y29"
    "88H7SHwM/wCFnf8ACO/8Tv8As37D9o/5dPN37/K/21xjZ79a/Cyvor9kP4kf8K+/4Sz/AIl32/7X9k/5b+Xs2ed/"
    "snOd36V+hP7Vv/BPv/hdH/CLf8V7/Y/9m/av+YP5/meZ5P8A03XGPL9859q+1f8AhBf7F/5fvO83/pltxj/gR9a/"
    "m38WeE/+EY+y/wClfafP3/8ALPZt249znrXP16r4F+On/CFfbv8AiSfbPtOz/l78vbt3f7Bznd+lfZP/AATQ8Wf8"
    "JP8A8LH/ANF+zeR/Zv8Ay037t32r2GOleF/t0f8AMk/9v3/tvXyrX7Ua54G/4aD8j/Tf7A/sjd/yy+0+b5uP9pNu"
    "PK987u2Oes0LwL/wwp5/+nf8Jv8A8JTt/wCWX9n/AGX7Nn/al37vtP8As42d88fir468df8ACa/Yf9B+x/Zt/wDy"
    "18zdu2/7Ixjb+tf/2Q==")


def goldens_dir():
    return os.path.join(examples_dir(), "goldens")


def load(name):
    with open(os.path.join(goldens_dir(), name)) as f:
        return json.load(f)


def picture(relative):
    with open(os.path.join(goldens_dir(), relative), "rb") as f:
        return f.read()


def b64(data):
    return {"b64": base64.b64encode(data).decode("ascii")}


def multipart(files):
    """files: [(filename, bytes)] -> (body, content type)."""
    boundary = "inferd-" + uuid.uuid4().hex
    body = b""
    for name, data in files:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; "
                 f"name=\"file\"; filename=\"{name}\"\r\n"
                 "Content-Type: image/png\r\n\r\n").encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class PredictImageTest(ServerTestCase):

    @classmethod
    def repository(cls):
        path = cls.temp_repository(tempfile.mkdtemp(prefix="inferd_image_"))
        for name in ("digits_image", "shapes"):
            shutil.copytree(os.path.join(model_repository(), name),
                            os.path.join(path, name))
        return path

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.digits = load("digits_image_predictions.json")
        cls.shapes = load("shapes_predictions.json")

    def predict(self, model, body, headers=None):
        status, _, data = self.server.request(
            "POST", f"/v1/models/{model}:predict", body, headers)
        return status, json.loads(data.decode("utf-8"))

    def assertDigits(self, prediction, golden):
        self.assertEqual([p["label"] for p in prediction],
                         [g["label"] for g in golden["predictions"]],
                         golden["image"])
        for p, g in zip(prediction, golden["predictions"]):
            self.assertAlmostEqual(p["score"], g["score"], delta=SCORE_TOL)

    def assertDetections(self, prediction, golden):
        where = golden["image"]
        self.assertEqual([d["label"] for d in prediction],
                         [d["label"] for d in golden["detections"]], where)
        for got, want in zip(prediction, golden["detections"]):
            self.assertAlmostEqual(got["score"], want["score"],
                                   delta=SCORE_TOL, msg=where)
            for corner in ("xmin", "ymin", "xmax", "ymax"):
                self.assertAlmostEqual(got["box"][corner],
                                       want["box"][corner], delta=BOX_TOL,
                                       msg=f"{where} {corner}")

    # -- image-classification ------------------------------------------------

    def test_digits_b64_instances_match_goldens(self):
        status, body = self.predict("digits_image", {"instances": [
            b64(picture(g["image"])) for g in self.digits]})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["model_name"], "digits_image")
        self.assertEqual(len(body["predictions"]), len(self.digits))
        for prediction, golden in zip(body["predictions"], self.digits):
            self.assertDigits(prediction, golden)
        # The model is right on these held-out digits.
        right = sum(p[0]["label"] == g["true_label"]
                    for p, g in zip(body["predictions"], self.digits))
        self.assertGreaterEqual(right, len(self.digits) - 1)

    def test_digits_tf_serving_named_input_form(self):
        # TF Serving's row format names the input: {"<input>": {"b64": ...}};
        # "image" and "image_bytes" are accepted as well, other names are not.
        golden = self.digits[0]
        encoded = b64(picture(golden["image"]))
        status, body = self.predict("digits_image", {"instances": [
            {"input": encoded}, {"image": encoded}, {"image_bytes": encoded},
            {"pixels": encoded}, {"image": encoded, "extra": 1}]})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["success_count"], body["failure_count"]), (3, 2), body)
        for prediction in body["predictions"][:3]:
            self.assertDigits(prediction, golden)
        for failed in body["predictions"][3:]:
            self.assertIn('{"input": {"b64": ...}}', failed["error"])

    def test_digits_multipart_several_files(self):
        data, content_type = multipart(
            [(os.path.basename(g["image"]), picture(g["image"]))
             for g in self.digits[:3]])
        status, body = self.predict("digits_image", data,
                                    {"Content-Type": content_type})
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["predictions"]), 3)
        for prediction, golden in zip(body["predictions"], self.digits):
            self.assertDigits(prediction, golden)

    def test_digits_raw_png_body_and_top_k(self):
        golden = self.digits[1]
        status, body = self.predict("digits_image", picture(golden["image"]),
                                    {"Content-Type": "image/png"})
        self.assertEqual(status, 200, body)
        self.assertDigits(body["predictions"][0], golden)
        status, body = self.predict("digits_image", {
            "instances": [b64(picture(golden["image"]))],
            "parameters": {"top_k": 1}})
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["predictions"][0]), 1)
        self.assertEqual(body["predictions"][0][0]["label"],
                         golden["predictions"][0]["label"])
        status, body = self.predict("digits_image", {
            "instances": [b64(picture(golden["image"]))],
            "parameters": {"top_k": 11}})
        self.assertEqual(status, 400, body)
        self.assertIn("top_k", body["error"])

    # -- object-detection ----------------------------------------------------

    def test_shapes_b64_instances_match_goldens(self):
        status, body = self.predict("shapes", {"instances": [
            b64(picture(g["image"])) for g in self.shapes]})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["success_count"], len(self.shapes))
        for prediction, golden in zip(body["predictions"], self.shapes):
            self.assertDetections(prediction, golden)
        # Boxes are in the coordinates of each picture, not of the 128 x 128
        # letterboxed input: the 256 x 192 picture has boxes beyond 128.
        big = body["predictions"][0]
        self.assertTrue(any(d["box"]["xmax"] > 128 for d in big), big)

    def test_shapes_multipart_one_file_and_raw_body(self):
        golden = self.shapes[0]
        data, content_type = multipart([("a.png", picture(golden["image"]))])
        status, body = self.predict("shapes", data,
                                    {"Content-Type": content_type})
        self.assertEqual(status, 200, body)
        self.assertDetections(body["predictions"][0], golden)
        status, body = self.predict("shapes", picture(golden["image"]),
                                    {"Content-Type": "image/png"})
        self.assertEqual(status, 200, body)
        self.assertDetections(body["predictions"][0], golden)

    def test_shapes_threshold_parameter(self):
        golden = self.shapes[0]
        status, body = self.predict("shapes", {
            "instances": [b64(picture(golden["image"]))],
            "parameters": {"threshold": 0.9}})
        self.assertEqual(status, 200, body)
        expected = [d for d in golden["detections"] if d["score"] >= 0.9]
        self.assertDetections(body["predictions"][0],
                              dict(golden, detections=expected))
        for parameters in ({"threshold": 2}, {"iou_threshold": "x"},
                           {"nms": True}):
            status, body = self.predict("shapes", {
                "instances": [b64(picture(golden["image"]))],
                "parameters": parameters})
            self.assertEqual(status, 400, (parameters, body))

    # -- bad images ------------------------------------------------------------

    def test_corrupt_image_is_answered_in_place(self):
        good = picture(self.digits[0]["image"])
        corrupt = good[:len(good) // 2]
        status, body = self.predict("digits_image", {"instances": [
            b64(good), b64(corrupt), {"b64": "***"}, b64(b"GIF89a...."),
            b64(good)]})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["success_count"], 2)
        self.assertEqual(body["failure_count"], 3)
        p = body["predictions"]
        self.assertDigits(p[0], self.digits[0])
        self.assertDigits(p[4], self.digits[0])
        self.assertIn("could not decode the PNG image", p[1]["error"])
        self.assertIn("b64", p[2]["error"])
        self.assertIn("not a JPEG, PNG, BMP or WebP", p[3]["error"])

    def test_truncated_image_is_answered_in_place(self):
        # OpenCV decodes half a JPEG into a picture whose missing rows are
        # grey, and used to be answered with predictions on it.
        jpeg = DIGIT_0_JPEG
        png = picture(self.digits[0]["image"])
        status, body = self.predict("digits_image", {"instances": [
            b64(jpeg), b64(jpeg[:len(jpeg) // 2]), b64(png[:-12]),
            b64(jpeg + b"\0" * 16), b64(png)]})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["success_count"], body["failure_count"]), (3, 2), body)
        p = body["predictions"]
        golden_label = self.digits[0]["predictions"][0]["label"]
        self.assertEqual(p[0][0]["label"], golden_label)
        self.assertIn("could not decode the JPEG image: it is truncated", p[1]["error"])
        self.assertIn("could not decode the PNG image: it is truncated", p[2]["error"])
        # Zero padding after the end-of-image marker is not truncation.
        self.assertEqual(p[3], p[0])
        self.assertDigits(p[4], self.digits[0])
        status, body = self.predict("digits_image", jpeg[:len(jpeg) // 2],
                                    {"Content-Type": "image/jpeg"})
        self.assertEqual(status, 400, body)
        self.assertIn("truncated", body["error"])

    def test_decompression_bomb_is_refused(self):
        bomb = picture("images/bomb_100000x100000.png")
        self.assertLess(len(bomb), 1000)
        status, body = self.predict("shapes", bomb,
                                    {"Content-Type": "image/png"})
        self.assertEqual(status, 400, body)
        self.assertIn("100000x100000 pixels is above the limit",
                      body["error"])
        status, body = self.predict("shapes", {"instances": [
            b64(bomb), b64(picture(self.shapes[1]["image"]))]})
        self.assertEqual(status, 200, body)
        self.assertIn("above the limit", body["predictions"][0]["error"])
        self.assertDetections(body["predictions"][1], self.shapes[1])
        # The server is still healthy.
        status, _, _ = self.server.request("GET", "/v2/health/ready")
        self.assertEqual(status, 200)

    def test_instances_that_are_not_images(self):
        status, body = self.predict("shapes", {"instances": ["hello"]})
        self.assertEqual(status, 400, body)
        self.assertIn("b64", body["error"])


if __name__ == "__main__":
    unittest.main()
