# imgexp.description: Multi-stage, the virtualenv without its own pip and without .pyc files.
FROM python:3.11 AS build
WORKDIR /app
COPY . .
ARG IMGEXP_CA_URL
RUN . ./.imgexp-ca.sh && python3 -m venv --without-pip /opt/venv && python3 -m pip --python /opt/venv/bin/python install --no-cache-dir --no-compile -r requirements.txt
FROM python:3.11-slim
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY . .
ENV PATH=/opt/venv/bin:$PATH
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "shortlinks.app:app"]
